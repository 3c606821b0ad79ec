package tars_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine of ours outlives them: a
// Server owns its accept loop and one goroutine per connection, and Close must end
// them all. The stock TarsGo clients the tests call with start process-wide
// goroutines that TarsGo never stops (its communicator has no Close); those are
// TarsGo's, not the server's, and are ignored by their top function.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/TarsCloud/TarsGo/tars.(*globalManager).checkEpStatus"),
		goleak.IgnoreTopFunction("github.com/TarsCloud/TarsGo/tars.(*globalManager).updateEndpoints"),
		goleak.IgnoreTopFunction("github.com/TarsCloud/TarsGo/tars/transport.(*connection).send"),
		goleak.IgnoreTopFunction("github.com/TarsCloud/TarsGo/tars/util/gtime.init.0.func1"),
		goleak.IgnoreTopFunction("github.com/TarsCloud/TarsGo/tars/util/rogger.flushLog"),
		goleak.IgnoreTopFunction("github.com/TarsCloud/TarsGo/tars/util/rtimer.(*TimeWheel).run"),
	)
}
