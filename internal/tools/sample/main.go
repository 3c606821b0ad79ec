package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/go-sql-driver/mysql"
)

const exitNoServer = 3

var safeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func main() {
	server := flag.String("server", "root@tcp(127.0.0.1:3306)/", "DSN of the MySQL/MariaDB server, without a database")
	name := flag.String("database", "tarscache_sample", "database to recreate and fill")
	testdata := flag.String("testdata", "testdata", "directory holding db_tars.sql and sample.sql")
	flag.Parse()
	if err := load(*server, *name, *testdata); err != nil {
		fmt.Fprintf(os.Stderr, "sample: %v\n", err)
		if errorsIsUnreachable(err) {
			os.Exit(exitNoServer)
		}
		os.Exit(1)
	}
}

type unreachable struct{ error }

func errorsIsUnreachable(err error) bool { _, ok := err.(unreachable); return ok }

func load(serverDSN, name, testdata string) error {
	if !safeName.MatchString(name) {
		return fmt.Errorf("database name %q: use lowercase letters, digits and _", name)
	}
	cfg, err := mysql.ParseDSN(serverDSN)
	if err != nil {
		return err
	}
	cfg.MultiStatements, cfg.Timeout = true, 3*time.Second
	admin, err := connect(cfg)
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP DATABASE IF EXISTS `" + name + "`; CREATE DATABASE `" + name + "` CHARACTER SET utf8"); err != nil {
		return fmt.Errorf("recreate %s: %w", name, err)
	}
	cfg.DBName = name
	if err := runFiles(cfg, testdata); err != nil {
		return err
	}
	cfg.MultiStatements = false
	fmt.Println(cfg.FormatDSN())
	return nil
}

func connect(cfg *mysql.Config) (*sql.DB, error) {
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, unreachable{fmt.Errorf("no MySQL/MariaDB answers at %s: %w", cfg.Addr, err)}
	}
	return db, nil
}

func runFiles(cfg *mysql.Config, dir string) error {
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	for _, f := range []string{"db_tars.sql", "../sync/schema/subset.sql", "sample.sql"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		if _, err := db.Exec(string(b)); err != nil {
			return fmt.Errorf("run %s: %w", f, err)
		}
	}
	return nil
}
