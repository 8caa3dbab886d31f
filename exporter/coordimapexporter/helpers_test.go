package coordimapexporter

import (
	"crypto/sha256"
	"encoding/hex"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func exportertestSettings() exporter.Settings {
	set := exportertest.NewNopSettings(Type)
	set.ID = component.NewID(Type)
	return set
}
