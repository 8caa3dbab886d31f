package netns_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/netns"
	"github.com/coordimap/otelcol-coordimap/internal/netnstest"
)

// A named namespace: Names finds it by its inode, Do runs in it and comes
// back to the caller's.
func TestNamedNamespace(t *testing.T) {
	p := netnstest.New(t)
	ino, err := netns.Inode(p.A.Path)
	require.NoError(t, err)
	assert.Equal(t, p.A.Netns, ino)
	self, err := netns.Inode("/proc/self/ns/net")
	require.NoError(t, err)
	assert.NotEqual(t, self, ino)
	names := netns.Names("/run/netns")
	assert.Equal(t, p.A.Name, names[p.A.Netns])
	assert.Equal(t, p.B.Name, names[p.B.Netns])
	assert.Empty(t, netns.Names(filepath.Join(t.TempDir(), "none")))

	var inside uint32
	require.NoError(t, netns.Do(p.B.Path, func() error {
		inside, err = netns.Inode("/proc/thread-self/ns/net")
		return err
	}))
	assert.Equal(t, p.B.Netns, inside)
	back, err := netns.Inode("/proc/thread-self/ns/net")
	require.NoError(t, err)
	assert.Equal(t, self, back)
	assert.Error(t, netns.Do(filepath.Join(t.TempDir(), "none"), func() error { return nil }))
}
