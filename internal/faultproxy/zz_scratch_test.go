package faultproxy_test

import (
	"database/sql"
	"errors"
	"database/sql/driver"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

func TestScratch(t *testing.T) {
	cfg := mariaDBConfig(t)
	p := startProxy(t, cfg.Addr)
	cfg.Addr = p.Addr()
	db, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	defer db.Close()
	var z int
	require.NoError(t, db.QueryRow("SELECT SLEEP(0)").Scan(&z))
	p.CutAll()
	err = db.QueryRow("SELECT 1").Scan(&z)
	t.Logf("after CutAll on idle pooled conn: err=%v stats=%+v", err, p.Stats())
	p.Refuse(true)
	err = db.Ping()
	t.Logf("refuse ping: err=%v badconn=%v invalid=%v stats=%+v", err, errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn), p.Stats())
	p.Heal()
	for _, n := range []int64{0, 1, 20, 60, 100} {
		db.SetMaxIdleConns(0)
		p.CutAfter(n)
		_, err := countRows(db, "SELECT seq FROM mysql.seq_1_to_10")
		t.Logf("cutafter %d new conn: err=%v stats=%+v", n, err, p.Stats())
		p.Heal()
	}
	db.SetMaxIdleConns(2)
	require.NoError(t, db.QueryRow("SELECT SLEEP(0)").Scan(&z))
	for _, n := range []int64{0, 5, 30, 60} {
		p.CutAfter(n)
		c, err := countRows(db, "SELECT seq FROM mysql.seq_1_to_100000")
		t.Logf("cutafter %d live: rows=%d err=%v stats=%+v", n, c, err, p.Stats())
		p.Heal()
	}
	p.CutAfter(0)
	_, err = db.Exec("DO 1")
	t.Logf("exec after cutafter 0: %v", err)
}
