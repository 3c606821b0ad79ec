package subset_test

import (
	"fmt"

	"github.com/tarscache/tarscache/protocol/endpointf"
	"github.com/tarscache/tarscache/subset"
)

// ExampleParse shows a rule validated as the sync engine does, and its canonical form.
func ExampleParse() {
	r, err := subset.Parse("ratio", `{"v2": 80, "v1": 20}`)
	fmt.Println(r, err)
	_, err = subset.Parse("ratio", `{"v1": 20, "v2": -1}`)
	fmt.Println(err)
	// Output:
	// {"v1":20,"v2":80} <nil>
	// subset: ratio rule: weight of "v2" is -1: want an integer >= 0
}

// ExampleRule_Route shows a key rule choosing the subset of a request's route key.
func ExampleRule_Route() {
	r, _ := subset.Parse("key", `[{"equal": "vip", "route": "v2"},
		{"match": "user_[0-9]+", "route": "v1"}]`)
	for _, key := range []string{"vip", "user_42", "user_42x"} {
		s, ok := r.Route(key)
		fmt.Printf("%s: %q %v\n", key, s, ok)
	}
	// Output:
	// vip: "v2" true
	// user_42: "v1" true
	// user_42x: "" false
}

// ExampleFilter shows a client keeping the endpoints of the chosen subset, and falling
// back to all of them when none is in it.
func ExampleFilter() {
	eps := []endpointf.EndpointF{{Port: 1, Subset: "v1"}, {Port: 2, Subset: "v2"}}
	fmt.Println(len(subset.Filter(eps, "v2")), len(subset.Filter(eps, "canary")))
	// Output: 1 2
}

// ExampleCompiler_Get shows a client routing each request with the rule answered by
// findSubsetConfigById, parsed once per rule version.
func ExampleCompiler_Get() {
	rules := subset.NewCompiler(0)
	conf := endpointf.SubsetConf{Enable: true, RuleType: "ratio", RuleData: `{"stable":100,"canary":0}`}
	eps := []endpointf.EndpointF{{Port: 1, Subset: "stable"}, {Port: 2, Subset: "canary"}}

	rule, err := rules.Get(conf.RuleType, conf.RuleData) // cheap after the first call
	if err != nil {
		panic(err)
	}
	if s, ok := rule.Route("order-1"); ok { // the key from TARS_ROUTE_KEY or STATUS_ROUTE_KEY
		eps = subset.Filter(eps, s)
	}
	fmt.Println(eps[0].Port, len(eps))
	// Output: 1 1
}
