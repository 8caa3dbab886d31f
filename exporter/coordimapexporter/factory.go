package coordimapexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Type is the component type, `coordimap`.
var Type = component.MustNewType("coordimap")

// NewFactory returns the coordimap exporter's factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type, createDefaultConfig,
		exporter.WithLogs(createLogs, component.StabilityLevelAlpha))
}

func createLogs(ctx context.Context, set exporter.Settings, c component.Config) (exporter.Logs, error) {
	cfg := c.(*Config)
	l := &logsExporter{logger: set.Logger, flush: cfg.GraphFlushInterval, now: time.Now, graphID: cfg.Graph, graphFile: cfg.GraphFile}
	if cfg.GraphFile != "" && cfg.Graph == nil {
		l.graph = newGraphStore(cfg.GraphFile, cfg.FlowTTL)
	}
	if cfg.apiEnabled() {
		api := newAPIExporter(cfg, set)
		helper, err := exporterhelper.NewLogs(ctx, set, cfg, api.push,
			exporterhelper.WithStart(api.start),
			exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
			// confighttp's timeout bounds each attempt.
			exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
			exporterhelper.WithRetry(cfg.RetryConfig),
			exporterhelper.WithQueue(cfg.QueueConfig),
		)
		if err != nil {
			return nil, err
		}
		l.api = helper
	}
	return l, nil
}
