package sync

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// queryServers is the official full-load join, with the adapter name added so that
// a dropped row can be named, and {label} standing for the node's subset label
// (serversQuery fills it in).
const queryServers = `SELECT a.servant, a.endpoint, s.setting_state, s.present_state, s.flow_state,
 s.application, s.server_name, s.node_name, a.adapter_name, s.enable_group, s.ip_group_name,
 s.enable_set, s.set_name, s.set_area, s.set_group, s.bak_flag, {label}
 FROM t_adapter_conf AS a RIGHT JOIN t_server_conf AS s USING (application, server_name, node_name)`

// queryRegistry reads the registry's own rows, ordered as the official load orders them.
const queryRegistry = `SELECT servant, endpoint, present_state, tars_version, locator_id, enable_group
 FROM t_registry_info ORDER BY endpoint`

// queryGroupRules reads the IDC group rules in the registry's order.
const queryGroupRules = `SELECT group_id, allow_ip_rule, group_name FROM t_server_group_rule ORDER BY group_id`

// queryPriorities reads the group priorities in the registry's order; id breaks
// the ties the registry leaves to MySQL.
const queryPriorities = `SELECT id, group_list, station FROM t_group_priority ORDER BY list_order, id`

// Fetch is one consistent read of the registry tables.
type Fetch struct {
	// Rows are the join's rows followed by the t_registry_info rows.
	Rows []Row
	// GroupRules and Priorities are the IDC group tables.
	GroupRules []GroupRuleRow
	Priorities []PriorityRow
	// Rules are the t_subset_rule rows (none when the table is absent).
	Rules []RuleRow
}

// FetchAll reads every row the official full load reads, in one read-only
// repeatable-read transaction so that all queries see the same state. A failure
// at any point returns an error and no rows. db must allow several statements in
// one query, as OpenDB's pool does.
func FetchAll(ctx context.Context, db *sql.DB) (*Fetch, error) {
	tx, err := beginRead(ctx, db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	t, err := readTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	return readFull(ctx, tx, t)
}

// fetchBuilt is FetchAll building the rows into records as they arrive: the
// returned Fetch holds only the t_registry_info rows, and the builder the records.
func fetchBuilt(ctx context.Context, db *sql.DB) (*Fetch, *builder, error) {
	tx, err := beginRead(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	t, err := readTables(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	b := newBuilder(false)
	f, err := readBuilt(ctx, tx, t, b)
	if err != nil {
		return nil, nil, err
	}
	return f, b, nil
}

// beginRead starts the read-only repeatable-read transaction of one fetch.
func beginRead(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, fmt.Errorf("sync: begin read: %w", err)
	}
	return tx, nil
}

// readFull reads every table of the full load within tx, and those of
// tarscache's own tables that t says exist.
func readFull(ctx context.Context, tx *sql.Tx, t tables) (*Fetch, error) {
	f := &Fetch{}
	keep := func(r *Row) { f.Rows = append(f.Rows, *r) }
	restart := func() { f.Rows = f.Rows[:0] }
	if _, err := joinRows(ctx, tx, t, 0, interner{}, keep, restart); err != nil {
		return nil, fmt.Errorf("sync: read t_server_conf and t_adapter_conf: %w", err)
	}
	reg, err := readSmall(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	f.Rows = append(f.Rows, reg...)
	return f, nil
}

// querySmall reads the small tables every fetch reads whole, in one round trip:
// t_registry_info, the IDC group tables, then t_subset_rule, last because a
// database without it fails that statement alone.
var querySmall = strings.Join([]string{queryRegistry, queryGroupRules, queryPriorities, queryRules}, ";\n")

// readSmall reads the small tables: the group tables and the subset rules into f,
// and returns the t_registry_info rows. The pool must allow several statements in
// one query, as OpenDB's does.
func readSmall(ctx context.Context, tx *sql.Tx, f *Fetch) ([]Row, error) {
	rs, err := tx.QueryContext(ctx, querySmall)
	if err != nil {
		return nil, fmt.Errorf("sync: read t_registry_info: %w", err)
	}
	defer rs.Close()
	reg, err := scanAll(rs, scanRegistryRow, "t_registry_info")
	if err == nil {
		f.GroupRules, err = nextSet(rs, scanGroupRule, "t_server_group_rule")
	}
	if err == nil {
		f.Priorities, err = nextSet(rs, scanPriority, "t_group_priority")
	}
	if err == nil {
		f.Rules, err = nextSet(rs, scanRule, TableSubsetRule)
	}
	if noSuchTable(err) {
		return reg, nil // no t_subset_rule: no rules
	}
	return reg, err
}

// nextSet moves rs to its next result set and scans it.
func nextSet[T any](rs *sql.Rows, scan func(*sql.Rows) (T, error), table string) ([]T, error) {
	if !rs.NextResultSet() {
		err := rs.Err()
		if err == nil {
			err = fmt.Errorf("sync: read %s: no result (the pool must allow several statements per query)", table)
		}
		return nil, err
	}
	return scanAll(rs, scan, table)
}

// scanAll scans every row of rs's current result set.
func scanAll[T any](rs *sql.Rows, scan func(*sql.Rows) (T, error), table string) ([]T, error) {
	var out []T
	for rs.Next() {
		r, err := scan(rs)
		if err != nil {
			return nil, fmt.Errorf("sync: read %s: row %d: %w", table, len(out)+1, err)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// readRows runs query with args and scans every row with scan.
func readRows[T any](ctx context.Context, tx *sql.Tx, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rs, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		r, err := scan(rs)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", len(out)+1, err)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// nullable scans NULL as "", as the official registry's MySQL layer does.
type nullable struct{ s *string }

func (n nullable) Scan(v any) error {
	var ns sql.NullString
	if err := ns.Scan(v); err != nil {
		return err
	}
	*n.s = ns.String
	return nil
}

func scanServerRow(rs *sql.Rows) (Row, error) {
	r := Row{Table: TableAdapter}
	err := rs.Scan(nullable{&r.Servant}, nullable{&r.Endpoint}, nullable{&r.SettingState}, nullable{&r.PresentState},
		nullable{&r.FlowState}, nullable{&r.Application}, nullable{&r.Server}, nullable{&r.Node}, nullable{&r.Adapter},
		nullable{&r.EnableGroup}, nullable{&r.IPGroupName}, nullable{&r.EnableSet}, nullable{&r.SetName},
		nullable{&r.SetArea}, nullable{&r.SetGroup}, nullable{&r.BakFlag}, nullable{&r.Subset})
	return r, err
}

func scanRegistryRow(rs *sql.Rows) (Row, error) {
	r := Row{Table: TableRegistry, FlowState: "active", EnableSet: "N"}
	err := rs.Scan(nullable{&r.Servant}, nullable{&r.Endpoint}, nullable{&r.PresentState}, nullable{&r.Node},
		nullable{&r.Adapter}, nullable{&r.EnableGroup})
	r.SettingState = r.PresentState
	return r, err
}

func scanGroupRule(rs *sql.Rows) (GroupRuleRow, error) {
	var r GroupRuleRow
	err := rs.Scan(nullable{&r.ID}, nullable{&r.AllowIPRule}, nullable{&r.Name})
	return r, err
}

func scanPriority(rs *sql.Rows) (PriorityRow, error) {
	var r PriorityRow
	err := rs.Scan(nullable{&r.ID}, nullable{&r.GroupList}, nullable{&r.Station})
	return r, err
}
