package mariadbreceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
)

// The flavor and the scope come from the server's variables; MySQL paths
// are covered here because the tests run MariaDB only.
func TestParseServerInfo(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want serverInfo
	}{
		{
			name: "MariaDB 10.11",
			vars: map[string]string{"version": "10.11.19-MariaDB-0+deb12u1", "version_comment": "Debian 12", "server_uid": "xW+kvjUQoPQbdYPS9TeItv+FuDI="},
			want: serverInfo{Flavor: flavorMariaDB, Version: "10.11.19-MariaDB-0+deb12u1", Major: 10, Minor: 11, Patch: 19,
				ScopeVariable: "server_uid", ScopeValue: "xW+kvjUQoPQbdYPS9TeItv+FuDI="},
		},
		{
			name: "MySQL 8.0",
			vars: map[string]string{"version": "8.0.36", "version_comment": "MySQL Community Server - GPL", "server_uuid": "3e11fa47-71ca-11e1-9e33-c80aa9429562"},
			want: serverInfo{Flavor: flavorMySQL, Version: "8.0.36", Major: 8, Minor: 0, Patch: 36,
				ScopeVariable: "server_uuid", ScopeValue: "3e11fa47-71ca-11e1-9e33-c80aa9429562"},
		},
		{
			name: "Percona Server",
			vars: map[string]string{"version": "8.0.35-27", "version_comment": "Percona Server (GPL), Release 27", "server_uuid": "u"},
			want: serverInfo{Flavor: flavorMySQL, Version: "8.0.35-27", Major: 8, Minor: 0, Patch: 35, ScopeVariable: "server_uuid", ScopeValue: "u"},
		},
		{
			name: "Aurora MySQL",
			vars: map[string]string{"version": "8.0.mysql_aurora.3.05.2", "version_comment": "Source distribution", "server_uuid": "u"},
			want: serverInfo{Flavor: flavorMySQL, Version: "8.0.mysql_aurora.3.05.2", Major: 8, Minor: 0, ScopeVariable: "server_uuid", ScopeValue: "u"},
		},
		{
			name: "MariaDB said only in the comment",
			vars: map[string]string{"version": "10.6.16", "version_comment": "MariaDB Server", "server_uid": "m"},
			want: serverInfo{Flavor: flavorMariaDB, Version: "10.6.16", Major: 10, Minor: 6, Patch: 16, ScopeVariable: "server_uid", ScopeValue: "m"},
		},
		{
			name: "old MariaDB without server_uid",
			vars: map[string]string{"version": "10.1.48-MariaDB"},
			want: serverInfo{Flavor: flavorMariaDB, Version: "10.1.48-MariaDB", Major: 10, Minor: 1, Patch: 48},
		},
		{
			name: "the other flavor's variable is a fallback",
			vars: map[string]string{"version": "5.7.44", "server_uid": "odd"},
			want: serverInfo{Flavor: flavorMySQL, Version: "5.7.44", Major: 5, Minor: 7, Patch: 44, ScopeVariable: "server_uid", ScopeValue: "odd"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseServerInfo(tt.vars))
		})
	}
	// One query reads both variables: whichever the server has comes back.
	assert.Contains(t, sqlServerVariables, "'server_uid'")
	assert.Contains(t, sqlServerVariables, "'server_uuid'")
}

func TestQueriesFor(t *testing.T) {
	info := func(flavor, version string) serverInfo {
		return parseServerInfo(map[string]string{"version": version, "version_comment": flavor})
	}
	tests := []struct {
		name             string
		info             serverInfo
		checks           string
		statistics       string
		wantCatalogCount int
	}{
		{"MariaDB 10.11", info("MariaDB", "10.11.6-MariaDB"), sqlChecksMariaDB, sqlStatistics, 11},
		{"MariaDB 10.2.1", info("MariaDB", "10.2.1-MariaDB"), sqlChecksMariaDB, sqlStatistics, 11},
		{"MariaDB 10.1", info("MariaDB", "10.1.48-MariaDB"), "", sqlStatistics, 10},
		{"MySQL 8.0.36", info("MySQL", "8.0.36"), sqlChecksMySQL, sqlStatisticsWithExpressions, 11},
		{"MySQL 8.0.15", info("MySQL", "8.0.15"), "", sqlStatisticsWithExpressions, 10},
		{"MySQL 8.0.12", info("MySQL", "8.0.12"), "", sqlStatistics, 10},
		{"MySQL 5.7", info("MySQL", "5.7.44-log"), "", sqlStatistics, 10},
		{"MySQL 9", info("MySQL", "9.1.0"), sqlChecksMySQL, sqlStatisticsWithExpressions, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := queriesFor(tt.info)
			assert.Equal(t, tt.checks, q.Checks)
			assert.Equal(t, tt.statistics, q.Statistics)
			assert.Equal(t, tt.wantCatalogCount, q.count())
		})
	}
}

// Every catalog query has exactly one schema filter; none is per table or
// per schema.
func TestQueriesHaveOneSchemaFilter(t *testing.T) {
	for _, q := range []string{sqlSchemata, sqlTables, sqlColumns, sqlStatistics, sqlStatisticsWithExpressions, sqlKeyColumns,
		sqlReferential, sqlChecksMariaDB, sqlChecksMySQL, sqlViews, sqlRoutines, sqlParameters, sqlTriggers} {
		assert.Equal(t, 1, strings.Count(q, "%s"), q)
		assert.NotContains(t, q, "?", q)
	}
}

func TestSchemaFilter(t *testing.T) {
	f := newSchemaFilter(nil)
	assert.Equal(t, "NOT IN (?, ?, ?, ?)", f.sql)
	assert.Equal(t, []any{"mysql", "information_schema", "performance_schema", "sys"}, f.args)
	f = newSchemaFilter([]string{"shop"})
	assert.Equal(t, "IN (?)", f.sql)
	assert.Equal(t, "SELECT x FROM t WHERE s IN (?)", f.apply("SELECT x FROM t WHERE s %s"))
	f = newSchemaFilter([]string{"shop", "it's"})
	assert.Equal(t, "IN (?, ?)", f.sql)
	assert.Equal(t, []any{"shop", "it's"}, f.args)
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string][3]int{
		"10.11.19-MariaDB-0+deb12u1": {10, 11, 19},
		"8.0.36":                     {8, 0, 36},
		"5.7.44-log":                 {5, 7, 44},
		"11.4":                       {11, 4, 0},
		"":                           {0, 0, 0},
		"8.0.mysql_aurora.3.05.2":    {8, 0, 0},
	} {
		major, minor, patch := parseVersion(in)
		assert.Equal(t, want, [3]int{major, minor, patch}, in)
	}
}

func TestClientAddress(t *testing.T) {
	tests := []struct {
		host, want string
		ok         bool
	}{
		{"10.1.2.3:51234", "10.1.2.3", true},
		{"127.0.0.1:40000", "127.0.0.1", true},
		{"::ffff:10.1.2.3:51234", "10.1.2.3", true},
		{"fd00::12:51234", "fd00::12", true},
		{"[fd00::12]:51234", "fd00::12", true},
		{"app-7.internal:51234", "app-7.internal", true},
		{"localhost", "", false},       // unix socket
		{"localhost:51234", "", false}, // name-resolved local TCP session
		{"", "", false},                // server thread
	}
	for _, tt := range tests {
		got, ok := clientAddress(tt.host)
		assert.Equal(t, tt.ok, ok, tt.host)
		assert.Equal(t, tt.want, got, tt.host)
	}
}

func TestErrorClass(t *testing.T) {
	down := []error{
		&connectError{endpoint: "db:3306", user: "u", err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}},
		fmt.Errorf("reading information_schema.TABLES: %w", &mysql.MySQLError{Number: 1053, Message: "Server shutdown in progress"}),
		fmt.Errorf("reading information_schema.TABLES: %w", mysql.ErrInvalidConn),
		fmt.Errorf("crawl: %w", context.DeadlineExceeded),
	}
	for _, err := range down {
		assert.Equal(t, "unavailable", errorClass(err), err.Error())
	}
	denied := &connectError{endpoint: "db:3306", user: "u", err: &mysql.MySQLError{Number: 1045, Message: "Access denied"}}
	assert.Equal(t, "mysql error 1045", errorClass(denied))
	assert.Equal(t, "scope problem", errorClass(errors.New("scope problem")))
}
