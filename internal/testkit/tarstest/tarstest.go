package tarstest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"
	"github.com/stretchr/testify/require"

	"github.com/tarscache/tarscache/protocol/queryf"
)

// Locator returns the locator string of a tarscache listening on addr.
func Locator(addr net.Addr) string {
	tcp := addr.(*net.TCPAddr)
	return fmt.Sprintf("tars.tarsregistry.QueryObj@tcp -h %s -p %d -t 3000", tcp.IP, tcp.Port)
}

// clientConfig is the TarsGo client configuration of the test process: it keeps
// TarsGo from parsing the test binary's flags, keeps its logs to errors and
// refreshes endpoints every second.
const clientConfig = `<tars>
  <application>
    <server>
      logLevel=ERROR
    </server>
    <client>
      refresh-endpoint-interval=1000
    </client>
  </application>
</tars>
`

var configOnce sync.Once

// configure points TarsGo at clientConfig before its first use in this process.
// TarsGo reads the file once, when first asked for its configuration; the file is
// removed as soon as it has.
func configure(t testing.TB) {
	configOnce.Do(func() {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("tarscache-test-client-%d.conf", os.Getpid()))
		require.NoError(t, os.WriteFile(path, []byte(clientConfig), 0o600))
		tars.ServerConfigPath = path
		tars.GetClientConfig()
		require.NoError(t, os.Remove(path))
	})
}

// ServerConfig returns the configuration file of a stock TarsGo server
// (internal/tools/stockserver) named app.server with one servant, app.server.obj,
// on host:port; its logs and data go to dir, and locator, when not empty, is its
// client's locator.
func ServerConfig(app, server, obj, dir, host string, port int, locator string) string {
	servant := app + "." + server + "." + obj
	return fmt.Sprintf(`<tars>
  <application>
    <server>
      app=%[1]s
      server=%[2]s
      logpath=%[4]s
      logLevel=ERROR
      datapath=%[4]s
      <%[3]sAdapter>
        endpoint=tcp -h %[5]s -p %[6]d -t 60000
        servant=%[3]s
        protocol=tars
        threads=1
      </%[3]sAdapter>
    </server>
    <client>
      locator=%[7]s
    </client>
  </application>
</tars>
`, app, server, servant, dir, host, port, locator)
}

// NewCommunicator returns a TarsGo communicator configured for tests.
func NewCommunicator(t testing.TB) *tars.Communicator {
	t.Helper()
	configure(t)
	return tars.NewCommunicator()
}

// QueryClient returns a stock TarsGo QueryF proxy for the tarscache at addr.
func QueryClient(t testing.TB, addr net.Addr) *queryf.QueryF {
	t.Helper()
	comm := NewCommunicator(t)
	q := new(queryf.QueryF)
	comm.StringToProxy(Locator(addr), q)
	return q
}

// Conn is a raw Tars connection for sending hand-made packets.
type Conn struct {
	c net.Conn
	r *bufio.Reader
}

// Dial connects to addr and closes the connection when the test ends.
func Dial(t testing.TB, addr net.Addr) *Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &Conn{c: c, r: bufio.NewReader(c)}
}

// Close closes the connection before the test ends; closing again is harmless.
func (c *Conn) Close() { c.c.Close() }

// Request encodes and frames a request packet.
func Request(req *requestf.RequestPacket) []byte {
	buf := codec.NewBuffer()
	_ = buf.WriteSliceInt8(make([]int8, 4))
	_ = req.WriteTo(buf)
	out := buf.ToBytes()
	binary.BigEndian.PutUint32(out, uint32(len(out)))
	return out
}

// Write sends raw bytes.
func (c *Conn) Write(t testing.TB, b []byte) {
	t.Helper()
	_, err := c.c.Write(b)
	require.NoError(t, err)
}

// Read reads one framed response packet, failing the test after 5 s.
func (c *Conn) Read(t testing.TB) requestf.ResponsePacket {
	t.Helper()
	rsp, err := c.TryRead(5 * time.Second)
	require.NoError(t, err)
	return rsp
}

// TryRead reads one framed response packet or returns the read error (io.EOF when
// the server closed the connection).
func (c *Conn) TryRead(timeout time.Duration) (requestf.ResponsePacket, error) {
	var rsp requestf.ResponsePacket
	_ = c.c.SetReadDeadline(time.Now().Add(timeout))
	var head [4]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		return rsp, err
	}
	body := make([]byte, binary.BigEndian.Uint32(head[:])-4)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return rsp, err
	}
	if err := rsp.ReadFrom(codec.NewReader(body)); err == nil {
		return rsp, nil
	}
	return fromTUP(body)
}

// fromTUP reads a TUP reply (a request packet whose status carries an error) as
// a response packet.
func fromTUP(body []byte) (requestf.ResponsePacket, error) {
	var req requestf.RequestPacket
	if err := req.ReadFrom(codec.NewReader(body)); err != nil {
		return requestf.ResponsePacket{}, fmt.Errorf("neither a response nor a TUP reply: %w", err)
	}
	rsp := requestf.ResponsePacket{IVersion: req.IVersion, CPacketType: req.CPacketType, IRequestId: req.IRequestId,
		SBuffer: req.SBuffer, Status: req.Status, Context: req.Context, SResultDesc: req.Status["STATUS_RESULT_DESC"]}
	if code, ok := req.Status["STATUS_RESULT_CODE"]; ok {
		n, err := strconv.Atoi(code)
		if err != nil {
			return rsp, fmt.Errorf("TUP reply: result code %q: %w", code, err)
		}
		rsp.IRet = int32(n)
	}
	return rsp, nil
}
