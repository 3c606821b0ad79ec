package client_test

import (
	"context"
	"testing"

	"github.com/TarsCloud/TarsGo/tars/util/current"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/subset/client"
)

// The route key is read from the request status: TARS_ROUTE_KEY first, then
// STATUS_ROUTE_KEY; a request without either has the empty key.
func TestRouteKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status map[string]string
		want   string
	}{
		{"go and java", map[string]string{"TARS_ROUTE_KEY": "vip"}, "vip"},
		{"cpp", map[string]string{"STATUS_ROUTE_KEY": "user_7"}, "user_7"},
		{"both: go first", map[string]string{"TARS_ROUTE_KEY": "a", "STATUS_ROUTE_KEY": "b"}, "a"},
		{"empty go key: cpp", map[string]string{"TARS_ROUTE_KEY": "", "STATUS_ROUTE_KEY": "b"}, "b"},
		{"none", map[string]string{"other": "x"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := current.ContextWithTarsCurrent(context.Background())
			current.SetRequestStatus(ctx, tc.status)
			require.Equal(t, tc.want, client.RouteKey(ctx))
		})
	}
	require.Equal(t, "", client.RouteKey(context.Background()), "a context that is not a Tars request")
}
