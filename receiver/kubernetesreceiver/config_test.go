package kubernetesreceiver

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
			want: &Config{AuthType: AuthServiceAccount, ReportInterval: 10 * time.Minute, RedactEnvValues: true},
		},
		{
			id: component.NewIDWithName(typeStr, "all"),
			want: &Config{
				AuthType:          AuthKubeConfig,
				KubeconfigPath:    "/etc/coordimap/kubeconfig",
				Context:           "prod",
				ScopeID:           "6f5f56e3-1b2c-4d5e-8f90-a1b2c3d4e5f6",
				ClusterName:       "gke-prod",
				DataSourceID:      "k8s-prod",
				Namespaces:        []string{"shop", "payments"},
				Resources:         []string{"pods", "deployments", "services", "certificates.cert-manager.io"},
				ReportInterval:    5 * time.Minute,
				SendSecretData:    true,
				SendConfigMapData: true,
				RedactEnvValues:   false,
				ExternalMappings: mapping.Entries{
					"*my-project-id.iam.gserviceaccount.com@123456789012",
					"europe-west1-*@123456789012",
				},
			},
		},
		{
			id: component.NewIDWithName(typeStr, "legacy_mappings"),
			want: &Config{
				AuthType:        AuthServiceAccount,
				ReportInterval:  10 * time.Minute,
				RedactEnvValues: true,
				ExternalMappings: mapping.Entries{
					"i-0abc@123456789012",
					"*my-project-id.iam.gserviceaccount.com@123456789012",
				},
			},
		},
		{
			id:   component.NewIDWithName(typeStr, "everything"),
			want: &Config{AuthType: AuthServiceAccount, ReportInterval: 10 * time.Minute, Resources: []string{"all"}, RedactEnvValues: true},
		},
		{
			id: component.NewIDWithName(typeStr, "bad"),
			wantErr: `auth_type: must be "serviceAccount" or "kubeConfig"` + "\n" +
				"report_interval: must be at least 1s\n" +
				`resources: "Pods" is not a resource name (plural, lower case, e.g. pods or certificates.cert-manager.io)` + "\n" +
				`resources: "pods" is listed twice`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.want.Prometheus.Interval == 0 {
				tt.want.Prometheus = createDefaultConfig().(*Config).Prometheus
			}
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
		{name: "kubeconfig", modify: func(c *Config) { c.AuthType = AuthKubeConfig; c.KubeconfigPath = "/k"; c.Context = "c" }},
		{name: "kubeconfig without a path", modify: func(c *Config) { c.AuthType = AuthKubeConfig }},
		{name: "unknown auth", modify: func(c *Config) { c.AuthType = "none" }, wantErr: `auth_type: must be "serviceAccount" or "kubeConfig"`},
		{name: "empty auth", modify: func(c *Config) { c.AuthType = "" }, wantErr: `auth_type: must be "serviceAccount" or "kubeConfig"`},
		{
			name:    "path with service account",
			modify:  func(c *Config) { c.KubeconfigPath = "/k" },
			wantErr: `kubeconfig_path: only with auth_type "kubeConfig"`,
		},
		{
			name:    "context with service account",
			modify:  func(c *Config) { c.Context = "prod" },
			wantErr: `context: only with auth_type "kubeConfig"`,
		},
		{name: "short interval", modify: func(c *Config) { c.ReportInterval = 500 * time.Millisecond }, wantErr: "report_interval: must be at least 1s"},
		{name: "empty namespace", modify: func(c *Config) { c.Namespaces = []string{"a", ""} }, wantErr: "namespaces: names must not be empty"},
		{name: "namespace twice", modify: func(c *Config) { c.Namespaces = []string{"a", "a"} }, wantErr: `namespaces: "a" is listed twice`},
		{name: "empty resource", modify: func(c *Config) { c.Resources = []string{""} }, wantErr: "resources: names must not be empty"},
		{name: "resource with group", modify: func(c *Config) { c.Resources = []string{"deployments.apps", "all"} }},
		{
			name:    "resource with a slash",
			modify:  func(c *Config) { c.Resources = []string{"pods/log"} },
			wantErr: `resources: "pods/log" is not a resource name (plural, lower case, e.g. pods or certificates.cert-manager.io)`,
		},
		{
			name:    "bad mapping",
			modify:  func(c *Config) { c.ExternalMappings = mapping.Entries{"no-at-sign"} },
			wantErr: `external_mappings[0] "no-at-sign": missing '@'`,
		},
		{
			name: "every problem at once",
			modify: func(c *Config) {
				c.AuthType = "x"
				c.ReportInterval = 0
				c.Namespaces = []string{""}
				c.Resources = []string{"a", "a"}
			},
			wantErr: `auth_type: must be "serviceAccount" or "kubeConfig"` + "\n" +
				"report_interval: must be at least 1s\n" +
				"namespaces: names must not be empty\n" +
				`resources: "a" is listed twice`,
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
