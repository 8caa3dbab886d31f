package coordimapconnector

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
)

// typeStr is the component type users write in the collector config.
var typeStr = component.MustNewType("coordimap")

// NewFactory creates the factory of the coordimap connector.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		typeStr,
		createDefaultConfig,
		connector.WithTracesToLogs(createTracesToLogs, component.StabilityLevelAlpha),
		connector.WithMetricsToLogs(createMetricsToLogs, component.StabilityLevelAlpha),
	)
}

// instances holds one connector per configuration: a connector in a traces
// and a metrics pipeline is created twice by the collector, and both must
// share the services they see (and one storage key).
var instances = struct {
	sync.Mutex
	m map[*Config]*coordimapConnector
}{m: map[*Config]*coordimapConnector{}}

func shared(set connector.Settings, cfg *Config, next consumer.Logs) (*coordimapConnector, error) {
	instances.Lock()
	defer instances.Unlock()
	if c, ok := instances.m[cfg]; ok {
		return c, nil
	}
	c, err := newConnector(set, cfg, next)
	if err != nil {
		return nil, err
	}
	c.release = func() {
		instances.Lock()
		delete(instances.m, cfg)
		instances.Unlock()
	}
	instances.m[cfg] = c
	return c, nil
}

func createTracesToLogs(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Logs) (connector.Traces, error) {
	c, err := shared(set, cfg.(*Config), next)
	if err != nil {
		return nil, err
	}
	return tracesConnector{c}, nil
}

func createMetricsToLogs(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Logs) (connector.Metrics, error) {
	c, err := shared(set, cfg.(*Config), next)
	if err != nil {
		return nil, err
	}
	return metricsConnector{c}, nil
}
