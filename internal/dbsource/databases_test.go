package dbsource

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckDatabases(t *testing.T) {
	noDots := func(name string) error {
		if strings.Contains(name, ".") {
			return errors.New("databases: " + name + " has a dot")
		}
		return nil
	}
	tests := []struct {
		names []string
		check func(string) error
		want  string
	}{
		{names: nil},
		{names: []string{"app", "crm"}},
		{names: []string{"app", ""}, want: "databases: names must not be empty"},
		{names: []string{"app", "app"}, want: `databases: "app" is listed twice`},
		{names: []string{"a.b", "a.b", ""}, check: noDots, want: "databases: a.b has a dot\ndatabases: a.b has a dot\ndatabases: names must not be empty"},
		{names: []string{"", "app", "app", "a.b"}, check: noDots, want: "databases: names must not be empty\n" +
			`databases: "app" is listed twice` + "\ndatabases: a.b has a dot"},
	}
	for _, tt := range tests {
		err := errors.Join(CheckDatabases(tt.names, tt.check)...)
		if tt.want == "" {
			assert.NoError(t, err, "%q", tt.names)
			continue
		}
		assert.EqualError(t, err, tt.want, "%q", tt.names)
	}
}
