package storagehost

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
)

type host struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

func TestClient(t *testing.T) {
	ctx := context.Background()
	owner := component.MustNewID("coordimap")
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = t.TempDir()
	id := component.MustNewID("file_storage")
	ext, err := f.Create(ctx, extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, ext.Shutdown(ctx)) }()
	other := component.MustNewID("other")
	h := host{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{id: ext, other: struct{ extension.Extension }{}}}

	c, err := Client(ctx, h, id, component.KindConnector, owner)
	require.NoError(t, err)
	require.NoError(t, c.Set(ctx, "k", []byte("v")))
	got, err := c.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), got)
	require.NoError(t, c.Close(ctx))

	_, err = Client(ctx, h, component.MustNewID("missing"), component.KindConnector, owner)
	assert.EqualError(t, err, `coordimap: storage: extension "missing" not found`)
	_, err = Client(ctx, h, other, component.KindConnector, owner)
	assert.EqualError(t, err, `coordimap: storage: extension "other" is not a storage extension`)
}
