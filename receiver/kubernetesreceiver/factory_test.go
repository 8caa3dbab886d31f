package kubernetesreceiver

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"

	"github.com/coordimap/otelcol-coordimap/internal/statustest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "coordimap_kubernetes", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.MetricsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.TracesStability())

	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, AuthServiceAccount, cfg.AuthType)
	assert.Equal(t, 10*time.Minute, cfg.ReportInterval)
	assert.False(t, cfg.SendSecretData, "secret values stay in the cluster by default")
	assert.False(t, cfg.SendConfigMapData)
	assert.Empty(t, cfg.Namespaces)
	assert.Empty(t, cfg.Resources)
	require.NoError(t, cfg.Validate())

	_, err := f.CreateMetrics(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	assert.Error(t, err)
	_, err = f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	assert.Error(t, err)
}

// The constructor does nothing over the network; Shutdown without Start is
// fine, and so is Shutdown twice.
func TestShutdownWithoutStart(t *testing.T) {
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// Outside a cluster, auth_type serviceAccount cannot work: Start says so.
func TestStartServiceAccountOutsideCluster(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "auth_type serviceAccount")
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// A kubeconfig that does not exist, or lacks the context asked for, is a
// configuration problem: Start fails.
func TestStartBadKubeconfig(t *testing.T) {
	path := writeKubeconfig(t, "https://127.0.0.1:1")
	for name, modify := range map[string]func(*Config){
		"missing file":    func(c *Config) { c.KubeconfigPath = filepath.Join(t.TempDir(), "nope") },
		"missing context": func(c *Config) { c.KubeconfigPath = path; c.Context = "nope" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.AuthType = AuthKubeConfig
			modify(cfg)
			rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
			require.NoError(t, err)
			err = rcv.Start(context.Background(), componenttest.NewNopHost())
			require.ErrorContains(t, err, "kubeconfig")
			require.NoError(t, rcv.Shutdown(context.Background()))
		})
	}
}

// A cluster that cannot be reached does not stop the collector: Start
// succeeds, the failure is reported as a recoverable error naming the
// receiver, and Shutdown stops everything it started.
func TestLifecycleServerUnreachable(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.AuthType = AuthKubeConfig
	cfg.KubeconfigPath = writeKubeconfig(t, "https://127.0.0.1:1") // nothing listens on port 1
	set := receivertest.NewNopSettings(typeStr)
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	host := statustest.NewHost()
	require.NoError(t, rcv.Start(context.Background(), host))
	require.Eventually(t, func() bool { return len(host.Events()) > 0 }, 10*time.Second, 10*time.Millisecond)
	ev := host.Events()[0]
	assert.Equal(t, componentstatus.StatusRecoverableError, ev.Status())
	require.Error(t, ev.Err())
	assert.Contains(t, ev.Err().Error(), set.ID.String())
	assert.Contains(t, ev.Err().Error(), "127.0.0.1:1")
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// writeKubeconfig writes a kubeconfig for server with a context "test".
func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: `+server+`
    insecure-skip-tls-verify: true
users:
- name: test
  user:
    token: not-a-real-token
contexts:
- name: test
  context: {cluster: test, user: test}
current-context: test
`), 0o600))
	return path
}

func receiverSettings() receiver.Settings { return receivertest.NewNopSettings(typeStr) }
