package storagehost_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/coordimap/otelcol-coordimap/internal/storagehost"
	"github.com/coordimap/otelcol-coordimap/internal/storagehost/storagehosttest"
)

func TestClient(t *testing.T) {
	ctx := context.Background()
	owner := component.MustNewID("coordimap")
	ext := storagehosttest.FileStorage(t, t.TempDir())
	defer func() { require.NoError(t, ext.Shutdown(ctx)) }()
	other := component.MustNewID("other")
	h := storagehosttest.WithExtensions(map[component.ID]component.Component{storagehosttest.ID: ext, other: struct{ extension.Extension }{}})

	c, err := storagehost.Client(ctx, h, storagehosttest.ID, component.KindConnector, owner)
	require.NoError(t, err)
	require.NoError(t, c.Set(ctx, "k", []byte("v")))
	got, err := c.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), got)
	require.NoError(t, c.Close(ctx))

	_, err = storagehost.Client(ctx, h, component.MustNewID("missing"), component.KindConnector, owner)
	assert.EqualError(t, err, `coordimap: storage: extension "missing" not found`)
	_, err = storagehost.Client(ctx, h, other, component.KindConnector, owner)
	assert.EqualError(t, err, `coordimap: storage: extension "other" is not a storage extension`)
}
