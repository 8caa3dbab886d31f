package eventsextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the component type, `coordimap_events`.
var Type = component.MustNewType("coordimap_events")

// NewFactory returns the coordimap_events extension's factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type, createDefaultConfig, create, component.StabilityLevelAlpha)
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newPublisher(cfg.(*Config), set), nil
}
