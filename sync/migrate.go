package sync

import (
	"context"
	"database/sql"
	_ "embed" // subsetDDL
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// subsetDDL holds the CREATE TABLE statements of tarscache's own tables in db_tars,
// the single source of truth of their DDL.
//
//go:embed schema/subset.sql
var subsetDDL string

// Actions a MigrateStep reports.
const (
	// MigrateCreated means the table was absent and Migrate created it.
	MigrateCreated = "created"
	// MigrateWouldCreate means the table is absent and Migrate, in a dry run, did not create it.
	MigrateWouldCreate = "would create"
	// MigrateExists means the table was there with every column tarscache needs, and was left as it was.
	MigrateExists = "exists"
)

// MySQL error numbers that mean the user lacks a privilege on the database.
const (
	errTableAccessDenied = 1142 // ER_TABLEACCESS_DENIED_ERROR, e.g. "CREATE command denied"
	errDBAccessDenied    = 1044 // ER_DBACCESS_DENIED_ERROR
)

// MigrateStep is what Migrate did, or in a dry run would do, to one of tarscache's
// tables.
type MigrateStep struct {
	// Table is the table's name, e.g. "t_subset_rule".
	Table string
	// Action is MigrateCreated, MigrateWouldCreate or MigrateExists.
	Action string
}

// String is the step for people: "created t_subset_rule", "would create
// t_subset_rule" or "t_subset_rule already exists (columns ok)".
func (s MigrateStep) String() string {
	if s.Action == MigrateExists {
		return s.Table + " already exists (columns ok)"
	}
	return s.Action + " " + s.Table
}

// MissingColumnsError is returned (wrapped) by Migrate when one of tarscache's tables
// exists without columns tarscache needs. Migrate never alters an existing table: the
// operator adds the columns, or renames the table away, and runs it again.
type MissingColumnsError struct {
	// Table is the table's name.
	Table string
	// Columns are the missing columns, in the order of the table's DDL.
	Columns []string
}

func (e *MissingColumnsError) Error() string {
	return fmt.Sprintf("%s exists without the column(s) tarscache needs: %s (an existing table is never altered: "+
		"add them or rename the table, then run the migration again)", e.Table, strings.Join(e.Columns, ", "))
}

// Migrate creates in db's database (the DSN's) those of tarscache's own tables
// (t_subset_rule, t_server_subset) that are absent, with the DDL embedded from
// schema/subset.sql, one statement per table. It is the one place where tarscache
// writes to MySQL, and it only ever creates these tables: it never alters or drops a
// table and never touches another one. It first checks every table (a present one
// must have the columns of its DDL, by name, else a *MissingColumnsError) and
// creates nothing unless all pass. With dryRun it only checks. It is idempotent: on
// a database already migrated every step is MigrateExists.
//
// It returns one step per table, in DDL order; on error, the tables created before
// it. Creating needs the CREATE privilege on the database; when MySQL refuses for
// want of a privilege, the error says to run the migration once as an admin user
// (serving needs only SELECT). It blocks on MySQL until done or ctx ends.
func Migrate(ctx context.Context, db *sql.DB, dryRun bool) ([]MigrateStep, error) {
	steps, err := migrate(ctx, db, dryRun)
	if err != nil {
		return steps, fmt.Errorf("sync: migrate: %w%s", err, privilegeHint(err))
	}
	return steps, nil
}

func migrate(ctx context.Context, db *sql.DB, dryRun bool) ([]MigrateStep, error) {
	tables, err := parseSchema(subsetDDL)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if err := requireDatabase(ctx, conn); err != nil {
		return nil, err
	}
	plan, err := planMigration(ctx, conn, tables, dryRun)
	if err != nil || dryRun {
		return plan, err
	}
	return applyMigration(ctx, conn, tables, plan)
}

// requireDatabase fails when the connection's DSN names no database.
func requireDatabase(ctx context.Context, conn *sql.Conn) error {
	var name sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
		return fmt.Errorf("read the current database: %w", err)
	}
	if !name.Valid || name.String == "" {
		return errors.New("the DSN names no database (want e.g. user:password@tcp(host:3306)/db_tars)")
	}
	return nil
}

// planMigration checks every table: MigrateExists when present with its columns,
// else MigrateWouldCreate.
func planMigration(ctx context.Context, conn *sql.Conn, tables []schemaTable, dryRun bool) ([]MigrateStep, error) {
	plan := make([]MigrateStep, 0, len(tables))
	for _, t := range tables {
		exists, err := checkColumns(ctx, conn, t)
		if err != nil {
			return nil, err
		}
		action := MigrateWouldCreate
		if exists {
			action = MigrateExists
		}
		plan = append(plan, MigrateStep{Table: t.name, Action: action})
	}
	return plan, nil
}

// applyMigration creates the tables plan would create, and checks each afterwards.
func applyMigration(ctx context.Context, conn *sql.Conn, tables []schemaTable, plan []MigrateStep) ([]MigrateStep, error) {
	done := make([]MigrateStep, 0, len(plan))
	for i, t := range tables {
		if plan[i].Action == MigrateExists {
			done = append(done, plan[i])
			continue
		}
		if _, err := conn.ExecContext(ctx, t.create); err != nil {
			return done, fmt.Errorf("create %s: %w", t.name, err)
		}
		exists, err := checkColumns(ctx, conn, t)
		if err == nil && !exists {
			err = fmt.Errorf("create %s: the table is not visible after CREATE TABLE", t.name)
		}
		if err != nil {
			return done, err
		}
		done = append(done, MigrateStep{Table: t.name, Action: MigrateCreated})
	}
	return done, nil
}

// checkColumns reports whether t exists in the connection's database, and fails
// with a *MissingColumnsError when it exists without some of its columns.
func checkColumns(ctx context.Context, conn *sql.Conn, t schemaTable) (bool, error) {
	have, err := columnsOf(ctx, conn, t.name)
	if err != nil {
		return false, fmt.Errorf("read the columns of %s: %w", t.name, err)
	}
	if len(have) == 0 {
		return false, nil
	}
	var missing []string
	for _, c := range t.columns {
		if !have[strings.ToLower(c)] {
			missing = append(missing, c)
		}
	}
	if missing != nil {
		return true, &MissingColumnsError{Table: t.name, Columns: missing}
	}
	return true, nil
}

// columnsOf returns the lower-cased column names of table in the connection's
// database, none when it does not exist.
func columnsOf(ctx context.Context, conn *sql.Conn, table string) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols[strings.ToLower(c)] = true
	}
	return cols, rows.Err()
}

// privilegeHint is what to do when MySQL refused err for want of a privilege.
func privilegeHint(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) && (me.Number == errTableAccessDenied || me.Number == errDBAccessDenied) {
		return " (the DSN's user needs the CREATE privilege on the database for this one migration: " +
			"run it once as an admin user; serving needs only SELECT)"
	}
	return ""
}

// schemaTable is one of tarscache's tables as schema/subset.sql creates it.
type schemaTable struct {
	name    string
	columns []string // in DDL order
	create  string   // its CREATE TABLE statement, without the final ';'
}

var (
	createTableRE = regexp.MustCompile("^CREATE TABLE IF NOT EXISTS `(t_[a-z_]+)` \\(")
	columnRE      = regexp.MustCompile("(?m)^  `([a-z_]+)` ")
)

// parseSchema reads the tables of ddl, which must hold only CREATE TABLE IF NOT
// EXISTS statements of t_* tables.
func parseSchema(ddl string) ([]schemaTable, error) {
	var tables []schemaTable
	for _, stmt := range statements(ddl) {
		m := createTableRE.FindStringSubmatch(stmt)
		if m == nil {
			return nil, fmt.Errorf("schema/subset.sql: %q is not a CREATE TABLE IF NOT EXISTS of a t_* table", stmt)
		}
		t := schemaTable{name: m[1], create: stmt}
		for _, c := range columnRE.FindAllStringSubmatch(stmt, -1) {
			t.columns = append(t.columns, c[1])
		}
		tables = append(tables, t)
	}
	return tables, nil
}

// statements splits ddl into its statements, each without comment lines and its
// final ';' (statements end with ';' at the end of a line).
func statements(ddl string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for line := range strings.Lines(ddl) {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			flush()
		}
	}
	flush()
	return out
}
