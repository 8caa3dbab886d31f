package coordimapconnector

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// telemetry is the connector's own metrics.
type telemetry struct {
	spans    metric.Int64Counter
	unpaired metric.Int64UpDownCounter
	expired  metric.Int64Counter
	dropped  metric.Int64Counter

	paired, inferred metric.MeasurementOption
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	meter := set.MeterProvider.Meter("github.com/coordimap/otelcol-coordimap/connector/coordimapconnector")
	t := &telemetry{}
	var err error
	if t.spans, err = meter.Int64Counter("otelcol_connector_coordimap_calls",
		metric.WithDescription("calls counted on edges, by pairing (paired: both ends reported it; inferred: one end)"),
		metric.WithUnit("{calls}")); err != nil {
		return nil, err
	}
	if t.unpaired, err = meter.Int64UpDownCounter("otelcol_connector_coordimap_store_unpaired",
		metric.WithDescription("spans waiting in the store for their other end"),
		metric.WithUnit("{spans}")); err != nil {
		return nil, err
	}
	if t.expired, err = meter.Int64Counter("otelcol_connector_coordimap_store_expired",
		metric.WithDescription("spans whose other end did not come within store.ttl (they became one-sided edges)"),
		metric.WithUnit("{spans}")); err != nil {
		return nil, err
	}
	if t.dropped, err = meter.Int64Counter("otelcol_connector_coordimap_store_dropped",
		metric.WithDescription("spans that found the store full (store.max_items) and were not paired"),
		metric.WithUnit("{spans}")); err != nil {
		return nil, err
	}
	pairing := func(v string) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(attribute.String("pairing", v)))
	}
	t.paired, t.inferred = pairing("paired"), pairing("inferred")
	return t, nil
}

func (t *telemetry) record(ctx context.Context, st stats) {
	if st.paired > 0 {
		t.spans.Add(ctx, st.paired, t.paired)
	}
	if st.inferred > 0 {
		t.spans.Add(ctx, st.inferred, t.inferred)
	}
	if st.unpaired != 0 {
		t.unpaired.Add(ctx, st.unpaired)
	}
	if st.expired > 0 {
		t.expired.Add(ctx, st.expired)
	}
	if st.dropped > 0 {
		t.dropped.Add(ctx, st.dropped)
	}
}
