// Package storagehosttest starts a real file_storage extension and a host
// that offers it, for tests of components with a storage setting.
package storagehosttest

import (
	"context"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
)

// ID is the ID FileStorage's extension has on the host.
var ID = component.MustNewID("file_storage")

// Host is a nop host with the given extensions.
type Host struct {
	component.Host
	Extensions map[component.ID]component.Component
}

// GetExtensions returns h.Extensions.
func (h Host) GetExtensions() map[component.ID]component.Component { return h.Extensions }

// FileStorage starts file_storage on dir; the caller shuts it down.
func FileStorage(t testing.TB, dir string) extension.Extension {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	return ext
}

// WithExtensions is a nop host offering exts.
func WithExtensions(exts map[component.ID]component.Component) Host {
	return Host{Host: componenttest.NewNopHost(), Extensions: exts}
}
