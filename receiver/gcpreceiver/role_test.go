package gcpreceiver

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The custom role in deploy/gcp grants exactly the permissions the reads
// name (the ones their errors say are missing), and the README lists each.
func TestRoleFile(t *testing.T) {
	var want []string
	for _, rd := range append([]read{projectRead, rolesRead}, reads...) {
		want = append(want, rd.permissions...)
	}
	slices.Sort(want)
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "gcp", "coordimap-role.yaml"))
	require.NoError(t, err)
	var role struct {
		Title       string   `yaml:"title"`
		Stage       string   `yaml:"stage"`
		Permissions []string `yaml:"includedPermissions"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &role))
	assert.Equal(t, want, role.Permissions)
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, p := range want {
		assert.Contains(t, string(readme), "`"+p+"`")
	}
}
