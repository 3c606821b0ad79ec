package admin

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache/snapshot"
)

// Every field of a record's endpoint reaches the admin API under the same name:
// a field added to snapshot.Endpoint and not to endpointJSON fails here.
func TestEndpointJSON_mirrorsEndpoint(t *testing.T) {
	var ep snapshot.Endpoint
	in := reflect.ValueOf(&ep).Elem()
	for i := range in.NumField() {
		f := in.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int32:
			f.SetInt(int64(i + 1))
		case reflect.String:
			f.SetString(in.Type().Field(i).Name)
		default:
			t.Fatalf("field %s: kind %s not covered", in.Type().Field(i).Name, f.Kind())
		}
	}
	out := reflect.ValueOf(toEndpointJSON(&ep))
	require.Equal(t, in.NumField(), out.NumField())
	for i := range in.NumField() {
		name := in.Type().Field(i).Name
		got := out.FieldByName(name)
		require.True(t, got.IsValid(), "endpointJSON has no field %s", name)
		require.Equal(t, in.Field(i).Interface(), got.Interface(), name)
	}
}
