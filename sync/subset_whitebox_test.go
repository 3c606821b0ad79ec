package sync

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/internal/testkit/cachetest"
	"github.com/tarscache/tarscache/protocol/endpointf"
)

const canary = `{"canary":10,"stable":90}`

func ratioRule(servant, data string) snapshot.SubsetRule {
	return snapshot.SubsetRule{Servant: servant, Enable: true, Type: "ratio", Data: data}
}

// rejected is what BuildRules hands over for a row that failed validation.
func rejected(servant, enable, data string) snapshot.SubsetRule {
	return snapshot.SubsetRule{Servant: servant, Rejected: &snapshot.RejectedRule{Enable: enable, Type: "ratio", Data: data, Reason: "bad weights"}}
}

// A rejected row never replaces the rule in force; the rejection is kept next to
// it. A rejected row that says N still turns routing off.
func TestKeepInForce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before []snapshot.SubsetRule
		row    snapshot.SubsetRule
		want   endpointf.SubsetConf
	}{
		{"previous rule stays", []snapshot.SubsetRule{ratioRule("A.S.Obj", canary)}, rejected("A.S.Obj", "Y", `{"v1":-1}`),
			endpointf.SubsetConf{Enable: true, RuleType: "ratio", RuleData: canary}},
		{"no previous rule: none in force", nil, rejected("A.S.Obj", "Y", `{"v1":-1}`), endpointf.SubsetConf{}},
		{"a rejected N still disables", []snapshot.SubsetRule{ratioRule("A.S.Obj", canary)}, rejected("A.S.Obj", "N", `{`),
			endpointf.SubsetConf{RuleType: "ratio", RuleData: canary}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cachetest.Open(t, "")
			_, err := c.Apply(cache.State{Rules: tc.before})
			require.NoError(t, err)
			_, err = c.Apply(cache.State{Rules: keepInForce(c.Snapshot(), []snapshot.SubsetRule{tc.row})})
			require.NoError(t, err)
			e, ok := c.Snapshot().SubsetRule("A.S.Obj")
			require.True(t, ok)
			require.Equal(t, tc.want, e.Conf)
			require.Equal(t, tc.row.Rejected, e.Rule.Rejected)
		})
	}
}
