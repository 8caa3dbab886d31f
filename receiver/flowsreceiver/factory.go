package flowsreceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// typeStr is the component type users write in the collector config.
var typeStr = component.MustNewType("coordimap_flows")

// receivers holds the instances being built or running, one per
// configuration: a receiver in a logs and a metrics pipeline loads its BPF
// programs once.
var receivers = newSharedReceivers()

// NewFactory creates the factory of the coordimap_flows receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		typeStr,
		createDefaultConfig,
		receiver.WithLogs(createLogs, component.StabilityLevelAlpha),
		receiver.WithMetrics(createMetrics, component.StabilityLevelAlpha),
	)
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	s := receivers.get(cfg.(*Config), set)
	s.inner.logs = next
	return s, nil
}

func createMetrics(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	s := receivers.get(cfg.(*Config), set)
	s.inner.metrics = next
	return s, nil
}
