package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/cache/snapshot"
	"github.com/tarscache/tarscache/subset"
)

// tarscache's own tables in db_tars (sync/schema/subset.sql). Both are optional: a
// database without them has no subset rules and no subset labels.
const (
	TableSubsetRule   = "t_subset_rule"
	TableServerSubset = "t_server_subset"
)

// errNoSuchTable is MySQL's ER_NO_SUCH_TABLE: a query that names one of tarscache's
// optional tables where it does not exist fails with it, and the transaction goes on.
const errNoSuchTable = 1146

// queryRules reads every subset rule.
const queryRules = `SELECT servant, enable, rule_type, rule_data FROM t_subset_rule ORDER BY servant`

// labelJoin adds each server node's subset label to the full-load join.
const labelJoin = ` LEFT JOIN t_server_subset AS u
 ON u.application = s.application AND u.server_name = s.server_name AND u.node_name = s.node_name`

// queryLabelPrint is the fingerprint of t_server_subset: its row count and the sum
// of the CRC32 of its keys, which moves when a row is deleted, even when another
// is inserted in the same interval. It reads the whole table, one row per labelled
// node.
const queryLabelPrint = `SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(CRC32(CONCAT_WS(0x1f, application, server_name, node_name))), 0))
 FROM t_server_subset`

// queryLabelsChanged lists the servers whose subset labels were written since a
// time of MySQL's clock.
const queryLabelsChanged = ` UNION SELECT application, server_name FROM t_server_subset WHERE registry_timestamp >= ?`

// tables says which of tarscache's own tables the fetch reads: t_server_subset
// when the database has it, with its fingerprint. (t_subset_rule is read whole
// when it exists, see readRules.)
type tables struct {
	labels     bool
	labelPrint string
}

func (t tables) String() string {
	return fmt.Sprintf("labels=%t:%s", t.labels, t.labelPrint)
}

// readTables reads the fingerprint of t_server_subset, finding on the way whether
// the database has it; no information_schema query is needed.
func readTables(ctx context.Context, tx *sql.Tx) (tables, error) {
	var t tables
	err := tx.QueryRowContext(ctx, queryLabelPrint).Scan(nullable{&t.labelPrint})
	switch {
	case noSuchTable(err):
		return tables{}, nil
	case err != nil:
		return tables{}, fmt.Errorf("sync: read the fingerprint of %s: %w", TableServerSubset, err)
	}
	t.labels = true
	return t, nil
}

// noSuchTable reports whether err is MySQL's "table does not exist".
func noSuchTable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == errNoSuchTable
}

// serversQuery is the official full-load join, with each node's subset label when
// the database has t_server_subset ("" otherwise).
func serversQuery(t tables) string {
	if t.labels {
		return strings.Replace(queryServers, "{label}", "u.subset", 1) + labelJoin
	}
	return strings.Replace(queryServers, "{label}", "''", 1)
}

// changedQuery lists the servers with a row written since a time, subset labels
// included when the database has them; it takes that time once per table.
func changedQuery(t tables) (string, int) {
	if t.labels {
		return queryChanged + queryLabelsChanged, 3
	}
	return queryChanged, 2
}

// RuleRow is one t_subset_rule row. SQL NULLs arrive as "".
type RuleRow struct {
	Servant, Enable, Type, Data string
}

func scanRule(rs *sql.Rows) (RuleRow, error) {
	var r RuleRow
	err := rs.Scan(nullable{&r.Servant}, nullable{&r.Enable}, nullable{&r.Type}, nullable{&r.Data})
	return r, err
}

// BuildRules validates t_subset_rule rows with c (which caches each rule version's
// outcome, so that an unchanged rule is parsed once) and returns the rules for
// cache.State.Rules once keepInForce has given each rejected row the rule in force
// before it. A valid row becomes the rule in force, its data in canonical form; a
// rejected row carries its columns and the reason. Rows without a servant name cannot
// be keyed: they are only reported. The rejections come back as *RuleError.
func BuildRules(rows []RuleRow, c *subset.Compiler) ([]snapshot.SubsetRule, []error) {
	var out []snapshot.SubsetRule
	var rejected []error
	for _, row := range rows {
		r, err := buildRule(row, c)
		if err != nil {
			rejected = append(rejected, &RuleError{Row: row, Err: err})
		}
		if row.Servant != "" && len(row.Servant) <= cache.MaxIDBytes {
			out = append(out, r)
		}
	}
	return out, rejected
}

// buildRule turns one row into a rule, or into a rejection that says why.
func buildRule(row RuleRow, c *subset.Compiler) (snapshot.SubsetRule, error) {
	r := snapshot.SubsetRule{Servant: row.Servant}
	err := checkRuleRow(row)
	var rule *subset.Rule
	if err == nil {
		rule, err = c.Get(row.Type, row.Data)
	}
	if err != nil {
		r.Rejected = &snapshot.RejectedRule{Enable: clip(row.Enable), Type: clip(row.Type), Data: clip(row.Data), Reason: clip(err.Error())}
		return r, err
	}
	r.Enable, r.Type, r.Data = strings.EqualFold(row.Enable, "y"), rule.Type(), rule.String()
	return r, nil
}

// clip cuts a rejected rule's column to what the cache file stores: the
// rejection is kept for people (dump shows it), the rule itself is refused.
func clip(s string) string {
	if len(s) <= cache.MaxTextBytes {
		return s
	}
	return s[:cache.MaxTextBytes]
}

func checkRuleRow(row RuleRow) error {
	switch {
	case row.Servant == "":
		return fmt.Errorf("%w: empty servant name", subset.ErrBadRule)
	case len(row.Servant) > cache.MaxIDBytes:
		return fmt.Errorf("%w: servant name of %d bytes, at most %d", subset.ErrBadRule, len(row.Servant), cache.MaxIDBytes)
	case !strings.EqualFold(row.Enable, "y") && !strings.EqualFold(row.Enable, "n"):
		return fmt.Errorf("%w: enable is %q: want Y or N", subset.ErrBadRule, row.Enable)
	}
	return nil
}

// keepInForce gives each rule whose latest row was rejected the rule in force of
// cur (none when cur has none), turned off when the rejected row says N, whatever
// its own columns: a bad row read from the database never replaces a good rule.
// This is sync's policy, decided here only; an import states the rules in force
// itself. rules is modified in place and returned.
func keepInForce(cur *snapshot.Snapshot, rules []snapshot.SubsetRule) []snapshot.SubsetRule {
	for i := range rules {
		r := &rules[i]
		if r.Rejected == nil {
			continue
		}
		r.Enable, r.Type, r.Data = false, "", ""
		if old, ok := cur.SubsetRule(r.Servant); ok {
			r.Enable, r.Type, r.Data = old.Rule.Enable, old.Rule.Type, old.Rule.Data
		}
		if r.Rejected.Disables() {
			r.Enable = false
		}
	}
	return rules
}
