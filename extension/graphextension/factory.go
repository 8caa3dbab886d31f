package graphextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the component type, `coordimap_graph`.
var Type = component.MustNewType("coordimap_graph")

// NewFactory returns the coordimap_graph extension's factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type, createDefaultConfig, create, component.StabilityLevelAlpha)
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newGraphExtension(cfg.(*Config), set), nil
}
