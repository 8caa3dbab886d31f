package mariadbreceiver

import (
	"strconv"
	"strings"
)

// Server flavors; they are also the data source type and db.system.name.
const (
	flavorMariaDB = "mariadb"
	flavorMySQL   = "mysql"
)

// systemSchemas are never crawled unless configured by name.
var systemSchemas = []string{"mysql", "information_schema", "performance_schema", "sys"}

// sqlServerVariables reads the server's identity in one query that works
// on both flavors: a variable the server does not have is simply absent
// (MariaDB has server_uid, MySQL server_uuid), where SELECT @@x would fail.
const sqlServerVariables = `SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_uid', 'server_uuid', 'version', 'version_comment')`

// serverInfo is what the receiver learns about the server once.
type serverInfo struct {
	Flavor  string
	Version string
	// Major, Minor and Patch are parsed from Version.
	Major, Minor, Patch int
	// ScopeVariable is the variable the scope comes from (server_uid or
	// server_uuid) and ScopeValue its value; empty when the server has
	// neither (MariaDB before 10.3.11, MySQL before 5.6).
	ScopeVariable, ScopeValue string
}

// parseServerInfo picks the flavor and the scope from the server's
// variables: MariaDB says so in its version ("10.11.6-MariaDB-0+deb12u1")
// or version comment; anything else (MySQL, Percona Server, Aurora MySQL)
// is MySQL. The flavor's own identity variable is preferred; the other is
// a fallback.
func parseServerInfo(vars map[string]string) serverInfo {
	info := serverInfo{Flavor: flavorMySQL, Version: vars["version"]}
	if strings.Contains(strings.ToLower(vars["version"]+" "+vars["version_comment"]), "mariadb") {
		info.Flavor = flavorMariaDB
	}
	info.Major, info.Minor, info.Patch = parseVersion(info.Version)
	order := []string{"server_uuid", "server_uid"}
	if info.Flavor == flavorMariaDB {
		order = []string{"server_uid", "server_uuid"}
	}
	for _, v := range order {
		if vars[v] != "" {
			info.ScopeVariable, info.ScopeValue = v, vars[v]
			break
		}
	}
	return info
}

// parseVersion reads the leading major.minor.patch of a version string;
// missing parts are 0.
func parseVersion(v string) (major, minor, patch int) {
	var nums [3]int
	for i, part := range strings.SplitN(v, ".", 3) {
		end := 0
		for end < len(part) && part[end] >= '0' && part[end] <= '9' {
			end++
		}
		nums[i], _ = strconv.Atoi(part[:end])
		if end < len(part) {
			break
		}
	}
	return nums[0], nums[1], nums[2]
}

// atLeast reports whether the server's version is major.minor.patch or
// newer.
func (s serverInfo) atLeast(major, minor, patch int) bool {
	if s.Major != major {
		return s.Major > major
	}
	if s.Minor != minor {
		return s.Minor > minor
	}
	return s.Patch >= patch
}

// Catalog queries: a constant number per crawl whatever the number of
// schemas and objects. Each %s is the schema filter (filter.sql) on the
// schema column of that query. Rows are sorted in Go, not by the server
// (information_schema sorts case-insensitively).
const (
	sqlSchemata = `SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
FROM information_schema.SCHEMATA WHERE SCHEMA_NAME %s`

	// Only columns the server reads from the table definition, without
	// opening the table (no row counts or sizes).
	sqlTables = `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, COALESCE(ENGINE, ''), COALESCE(TABLE_COLLATION, ''), COALESCE(TABLE_COMMENT, '')
FROM information_schema.TABLES WHERE TABLE_SCHEMA %s`

	sqlColumns = `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE,
  COLUMN_DEFAULT, COALESCE(EXTRA, ''), COALESCE(COLUMN_COMMENT, '')
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA %s`

	// Key parts of every index; a MySQL functional key part has no
	// column name (see statisticsWithExpressions).
	sqlStatistics = `SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COALESCE(COLUMN_NAME, ''),
  SUB_PART, COALESCE(INDEX_TYPE, ''), COALESCE(INDEX_COMMENT, '')
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA %s`

	sqlStatisticsWithExpressions = `SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COALESCE(COLUMN_NAME, EXPRESSION, ''),
  SUB_PART, COALESCE(INDEX_TYPE, ''), COALESCE(INDEX_COMMENT, '')
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA %s`

	// Columns of primary keys, unique keys and foreign keys. The primary
	// key is always named PRIMARY; a foreign key has a referenced table.
	sqlKeyColumns = `SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION,
  REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA %s`

	sqlReferential = `SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE
FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA %s`

	// MariaDB (10.2.1+) names check constraints per table.
	sqlChecksMariaDB = `SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA %s`

	// MySQL (8.0.16+) names them per schema; the table comes from
	// TABLE_CONSTRAINTS.
	sqlChecksMySQL = `SELECT tc.TABLE_SCHEMA, tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS cc
JOIN information_schema.TABLE_CONSTRAINTS tc
  ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK'
WHERE cc.CONSTRAINT_SCHEMA %s`

	// VIEW_DEFINITION is empty unless the user may SELECT from the view.
	sqlViews = `SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(VIEW_DEFINITION, ''), COALESCE(CHECK_OPTION, ''), COALESCE(IS_UPDATABLE, ''),
  COALESCE(DEFINER, ''), COALESCE(SECURITY_TYPE, '')
FROM information_schema.VIEWS WHERE TABLE_SCHEMA %s`

	sqlRoutines = `SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, COALESCE(DTD_IDENTIFIER, ''), COALESCE(ROUTINE_BODY, ''),
  COALESCE(IS_DETERMINISTIC, ''), COALESCE(SQL_DATA_ACCESS, ''), COALESCE(SECURITY_TYPE, ''), COALESCE(DEFINER, ''),
  COALESCE(ROUTINE_COMMENT, '')
FROM information_schema.ROUTINES WHERE ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE') AND ROUTINE_SCHEMA %s`

	// Parameters of every routine; position 0 is a function's result.
	sqlParameters = `SELECT SPECIFIC_SCHEMA, SPECIFIC_NAME, COALESCE(ROUTINE_TYPE, ''), ORDINAL_POSITION, COALESCE(PARAMETER_MODE, ''),
  COALESCE(PARAMETER_NAME, ''), COALESCE(DTD_IDENTIFIER, '')
FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA %s`

	sqlTriggers = `SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_TIMING,
  COALESCE(ACTION_STATEMENT, ''), COALESCE(DEFINER, '')
FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA %s`

	// Sessions other than the crawler's own (it uses one connection);
	// their host is host:port over TCP, "localhost" over a socket and
	// empty for server threads.
	sqlProcessList = `SELECT HOST, DB FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()`
)

// queries is the set of catalog queries a server gets; an empty query is
// skipped.
type queries struct {
	Schemata, Tables, Columns, Statistics, KeyColumns, Referential, Checks string
	Views, Routines, Parameters, Triggers                                  string
}

// queriesFor chooses the catalog queries the server's flavor and version
// support: check constraints are in information_schema from MariaDB
// 10.2.1 and MySQL 8.0.16 (named per table in MariaDB, per schema in
// MySQL), and MySQL 8.0.13 has functional index key parts.
func queriesFor(info serverInfo) queries {
	q := queries{
		Schemata:    sqlSchemata,
		Tables:      sqlTables,
		Columns:     sqlColumns,
		Statistics:  sqlStatistics,
		KeyColumns:  sqlKeyColumns,
		Referential: sqlReferential,
		Views:       sqlViews,
		Routines:    sqlRoutines,
		Parameters:  sqlParameters,
		Triggers:    sqlTriggers,
	}
	switch info.Flavor {
	case flavorMariaDB:
		if info.atLeast(10, 2, 1) {
			q.Checks = sqlChecksMariaDB
		}
	case flavorMySQL:
		if info.atLeast(8, 0, 16) {
			q.Checks = sqlChecksMySQL
		}
		if info.atLeast(8, 0, 13) {
			q.Statistics = sqlStatisticsWithExpressions
		}
	}
	return q
}

// count is the number of catalog queries a crawl runs.
func (q queries) count() int {
	n := 0
	for _, s := range []string{q.Schemata, q.Tables, q.Columns, q.Statistics, q.KeyColumns, q.Referential, q.Checks,
		q.Views, q.Routines, q.Parameters, q.Triggers} {
		if s != "" {
			n++
		}
	}
	return n
}

// schemaFilter restricts every catalog query to the crawled schemas: the
// configured ones, or all but the system schemas.
type schemaFilter struct {
	sql  string
	args []any
}

func newSchemaFilter(databases []string) schemaFilter {
	names := databases
	op := "IN"
	if len(names) == 0 {
		names, op = systemSchemas, "NOT IN"
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	return schemaFilter{
		sql:  op + " (" + strings.Repeat("?, ", len(names)-1) + "?)",
		args: args,
	}
}

// apply puts the filter into a query.
func (f schemaFilter) apply(query string) string { return strings.Replace(query, "%s", f.sql, 1) }
