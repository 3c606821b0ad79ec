package sync

import (
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// Arguments go into the query text only where the driver's escaping is sound:
// the default charset with an ASCII-compatible collation.
func TestInterpolationSafe(t *testing.T) {
	cases := map[string]bool{
		"root@tcp(127.0.0.1:3306)/db_tars":                             true,
		"root@tcp(127.0.0.1:3306)/db_tars?collation=utf8mb4_bin":       true,
		"root@tcp(127.0.0.1:3306)/db_tars?collation=latin1_swedish_ci": true,
		"root@tcp(127.0.0.1:3306)/db_tars?charset=gbk":                 false,
		"root@tcp(127.0.0.1:3306)/db_tars?charset=utf8mb4":             false,
		"root@tcp(127.0.0.1:3306)/db_tars?collation=gbk_chinese_ci":    false,
	}
	for dsn, want := range cases {
		t.Run(dsn, func(t *testing.T) {
			cfg, err := mysql.ParseDSN(dsn)
			require.NoError(t, err)
			require.Equal(t, want, interpolationSafe(cfg))
		})
	}
}
