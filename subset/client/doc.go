// Package client routes the calls of a stock TarsGo (v1.4.6) application by subset,
// with tarscache as its locator.
//
// A Router follows one servant. It asks the locator (tars.tarsregistry.QueryObj,
// served by tarscache) for the servant's subset rule (findSubsetConfigById) and its
// endpoints with their subset labels (findObjectByIdInSameGroup, EndpointF tag 15),
// at New and then every Options.Refresh in the background. For each call, Bind (or
// BindKey) chooses the subset of the call's route key with the rule (package subset)
// and points a generated TarsGo proxy at a ServantProxy over that subset's active
// endpoints. When there is no rule, the rule chooses no subset, or the chosen subset
// has no active endpoint, the proxy is pointed at the servant itself, resolved by
// TarsGo through the locator as usual: a call is never routed into a black hole.
//
//	router, err := client.New(comm, "Demo.HelloServer.HelloObj", client.Options{})
//	...
//	defer router.Close()
//	var hello Demo.Hello                 // a generated proxy value, one per call
//	router.Bind(ctx, &hello)             // route key from the request status
//	hello.SayHelloWithContext(ctx, ...)
//
// The route key is read from the request status of ctx, as a Tars server receives
// it: TARS_ROUTE_KEY (TarsGo and TarsJava prototypes) first, then STATUS_ROUTE_KEY
// (TarsCpp prototype); BindKey takes it as an argument instead.
//
// What it does not do: it does not change TarsGo. Each subset's endpoints get their
// own direct ServantProxy ("Servant@tcp -h ... -p ...:..."), which TarsGo creates
// once per distinct endpoint list and keeps for the life of the process, so a
// servant whose subsets change membership often leaves one small endpoint manager
// behind per list it ever had. It does not read the route key of outgoing calls,
// and it does not follow IDC groups or sets beyond what findObjectByIdInSameGroup
// answers for this process.
//
// Concurrency: a Router is safe for concurrent use. Bind and BindKey read an
// immutable view with one atomic load and never block; Refresh swaps in a new view.
// The background refresh goroutine is owned by the Router and stops in Close, which
// is idempotent. A proxy value bound by Bind must not be shared by goroutines that
// bind it differently: bind one value per call (they are small structs).
package client
