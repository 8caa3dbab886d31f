package flowsreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

const clusterUID = "6f5f56e3-0123-4567-89ab-6c8f1e2a0cde"

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{
			id:   component.NewID(typeStr),
			want: &Config{DeployedAt: "server", InterfaceName: "all", CollectionInterval: 30 * time.Second},
		},
		{
			id: component.NewIDWithName(typeStr, "server"),
			want: &Config{
				DeployedAt: "server", InterfaceName: "eth0", CollectionInterval: time.Minute,
				ScopeID: "4f1c9a0e2b7d4c56a1e3f0b9d8c7a6e5", DataSourceID: "flows-web-1",
			},
		},
		{
			id: component.NewIDWithName(typeStr, "kubernetes"),
			want: &Config{
				DeployedAt: "kubernetes", InterfaceName: "all", CollectionInterval: 30 * time.Second,
				ExternalMappings: mapping.Entries{"*@" + clusterUID}, DataSourceID: "flows-prod", NodeName: "node-1",
			},
		},
		{
			id:      component.NewIDWithName(typeStr, "server_node_name"),
			wantErr: `node_name, local_pods_only: only used when deployed_at is "kubernetes"`,
		},
		{
			id: component.NewIDWithName(typeStr, "legacy_mappings"),
			want: &Config{
				DeployedAt: "kubernetes", InterfaceName: "all", CollectionInterval: 30 * time.Second,
				ExternalMappings: mapping.Entries{"*@" + clusterUID, "10.0.0.5:5432@7710/app-@"},
			},
		},
		{
			id:      component.NewIDWithName(typeStr, "kubernetes_no_mappings"),
			wantErr: `external_mappings: required when deployed_at is "kubernetes" (add "*@<cluster uid>")`,
		},
		{
			id:      component.NewIDWithName(typeStr, "legacy_key"),
			wantErr: "has invalid keys: deployedAt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if err == nil {
				err = confmap.Validate(cfg)
			}
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		modify  func(*Config)
		wantErr string
	}{
		{name: "default", modify: func(*Config) {}},
		{name: "bad mode", modify: func(c *Config) { c.DeployedAt = "vm" }, wantErr: `deployed_at: must be "server" or "kubernetes"`},
		{name: "legacy camel case value", modify: func(c *Config) { c.DeployedAt = "Kubernetes" }, wantErr: `deployed_at: must be "server" or "kubernetes"`},
		{name: "device", modify: func(c *Config) { c.InterfaceName = "enp0s31f6" }},
		{name: "empty device", modify: func(c *Config) { c.InterfaceName = "" }, wantErr: `interface_name: must be "all" or a network device name`},
		{name: "device too long", modify: func(c *Config) { c.InterfaceName = "a234567890123456" }, wantErr: `interface_name: must be "all" or a network device name`},
		{name: "device with slash", modify: func(c *Config) { c.InterfaceName = "eth0/1" }, wantErr: `interface_name: must be "all" or a network device name`},
		{name: "local pods in server mode", modify: func(c *Config) { c.LocalPodsOnly = true }, wantErr: `node_name, local_pods_only: only used when deployed_at is "kubernetes"`},
		{name: "zero interval", modify: func(c *Config) { c.CollectionInterval = 0 }, wantErr: "collection_interval: must be positive"},
		{name: "server mappings are optional", modify: func(c *Config) { c.ExternalMappings = mapping.Entries{"10.0.0.5@x"} }},
		{
			name:    "bad mapping",
			modify:  func(c *Config) { c.ExternalMappings = mapping.Entries{"nope"} },
			wantErr: `external_mappings[0] "nope": missing '@'`,
		},
		{
			name: "kubernetes",
			modify: func(c *Config) {
				c.DeployedAt = DeployedAtKubernetes
				c.ExternalMappings = mapping.Entries{"*@" + clusterUID}
			},
		},
		{
			name: "kubernetes, glob over pod keys",
			modify: func(c *Config) {
				c.DeployedAt = DeployedAtKubernetes
				c.ExternalMappings = mapping.Entries{"*@" + clusterUID, "10.0.*@other"}
			},
		},
		{
			name: "kubernetes without a catch-all",
			modify: func(c *Config) {
				c.DeployedAt = DeployedAtKubernetes
				c.ExternalMappings = mapping.Entries{"shop/*@" + clusterUID}
			},
			wantErr: `external_mappings: must resolve the cluster UID for any pod (add "*@<cluster uid>")`,
		},
		{
			name: "kubernetes, same scope",
			modify: func(c *Config) {
				c.DeployedAt = DeployedAtKubernetes
				c.ExternalMappings = mapping.Entries{"*@" + clusterUID}
				c.ScopeID = clusterUID
			},
		},
		{
			name: "kubernetes, other scope",
			modify: func(c *Config) {
				c.DeployedAt = DeployedAtKubernetes
				c.ExternalMappings = mapping.Entries{"*@" + clusterUID}
				c.ScopeID = "kube-prod"
			},
			wantErr: `scope_id: "kube-prod" differs from the cluster UID "` + clusterUID + `" that external_mappings gives`,
		},
		{
			name: "every problem at once",
			modify: func(c *Config) {
				c.DeployedAt = DeployedAtKubernetes
				c.InterfaceName = ""
				c.CollectionInterval = -time.Second
			},
			wantErr: `interface_name: must be "all" or a network device name` + "\n" +
				"collection_interval: must be positive\n" +
				`external_mappings: required when deployed_at is "kubernetes" (add "*@<cluster uid>")`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.modify(cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestClusterUID(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.DeployedAt = DeployedAtKubernetes
	cfg.ExternalMappings = mapping.Entries{"10.0.0.5:5432@7710/app-@", "*@" + clusterUID}
	require.NoError(t, cfg.Validate())
	assert.Equal(t, clusterUID, cfg.clusterUID())
}
