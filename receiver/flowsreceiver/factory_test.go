package flowsreceiver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "coordimap_flows", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.Equal(t, component.StabilityLevelAlpha, f.MetricsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.TracesStability())

	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "server", cfg.DeployedAt)
	assert.Equal(t, "all", cfg.InterfaceName)
	assert.Equal(t, 30*time.Second, cfg.CollectionInterval)

	_, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	assert.Error(t, err)
}

// The logs and the metrics receiver of one configuration are one instance;
// another configuration gets its own; Shutdown forgets it.
func TestSharedBetweenSignals(t *testing.T) {
	defer goleak.VerifyNone(t)
	f := NewFactory()
	set := receivertest.NewNopSettings(typeStr)
	cfg := createDefaultConfig().(*Config)
	other := createDefaultConfig().(*Config)
	logs, metrics := &consumertest.LogsSink{}, &consumertest.MetricsSink{}

	lr, err := f.CreateLogs(context.Background(), set, cfg, logs)
	require.NoError(t, err)
	mr, err := f.CreateMetrics(context.Background(), set, cfg, metrics)
	require.NoError(t, err)
	or, err := f.CreateMetrics(context.Background(), set, other, consumertest.NewNop())
	require.NoError(t, err)
	require.Same(t, lr, mr)
	require.NotSame(t, lr, or)
	inner := lr.(*sharedReceiver).inner
	assert.Same(t, logs, inner.logs)
	assert.Same(t, metrics, inner.metrics)

	require.NoError(t, lr.Shutdown(context.Background()))
	require.NoError(t, mr.Shutdown(context.Background()))
	require.NoError(t, or.Shutdown(context.Background()))
	receivers.mu.Lock()
	defer receivers.mu.Unlock()
	assert.NotContains(t, receivers.m, cfg)
	assert.NotContains(t, receivers.m, other)
}

// The constructor does nothing; Shutdown without Start is fine, twice too.
func TestShutdownWithoutStart(t *testing.T) {
	defer goleak.VerifyNone(t)
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// startDegraded starts a receiver that cannot trace and returns the status
// it reported: Start returns nil all the same.
func startDegraded(t *testing.T, cfg *Config, prepare func(*flowsReceiver)) *componentstatus.Event {
	t.Helper()
	defer goleak.VerifyNone(t)
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	prepare(rcv.(*sharedReceiver).inner)
	host := newStatusHost()
	require.NoError(t, rcv.Start(context.Background(), host), "the rest of the collector must run")
	require.NoError(t, rcv.Shutdown(context.Background()))
	evs := host.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, componentstatus.StatusPermanentError, evs[0].Status())
	return evs[0]
}

func TestBTFMissing(t *testing.T) {
	ev := startDegraded(t, createDefaultConfig().(*Config), func(r *flowsReceiver) { r.btfPath = "/nonexistent/vmlinux" })
	assert.Contains(t, ev.Err().Error(), "BTF not found at /nonexistent/vmlinux")
	assert.Contains(t, ev.Err().Error(), ": eBPF flows disabled: ")
}

func TestNoMachineID(t *testing.T) {
	ev := startDegraded(t, createDefaultConfig().(*Config), func(r *flowsReceiver) { r.machineIDPath = "/nonexistent/machine-id" })
	assert.Contains(t, ev.Err().Error(), "scope_id is not configured and the machine ID cannot be read (set scope_id)")
}

func TestUnknownInterface(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ScopeID = "s"
	cfg.InterfaceName = "nosuchdev0"
	ev := startDegraded(t, cfg, func(*flowsReceiver) {})
	assert.Contains(t, ev.Err().Error(), `interface_name: no device "nosuchdev0"`)
}

func TestKubernetesWithoutAPI(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.DeployedAt = DeployedAtKubernetes
	cfg.ExternalMappings = []string{"*@" + clusterUID}
	ev := startDegraded(t, cfg, func(r *flowsReceiver) {
		r.newKube = func() (kubeClient, error) { return nil, errors.New("no in-cluster configuration") }
	})
	assert.Contains(t, ev.Err().Error(), "eBPF flows disabled: kubernetes: no in-cluster configuration")
}
