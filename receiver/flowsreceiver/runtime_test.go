package flowsreceiver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The runtimes' files, as each writes them (trimmed to the keys read).
func TestRuntimeMeta(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	}
	const docker, ctrd, crio = "d0000000000000000000000000000000000000000000000000000000000000d0",
		"c0000000000000000000000000000000000000000000000000000000000000c0",
		"e0000000000000000000000000000000000000000000000000000000000000e0"
	write("var/lib/docker/containers/"+docker+"/config.v2.json",
		`{"ID":"`+docker+`","Name":"/web","Config":{"Image":"nginx:1.27","Hostname":"d0"},"State":{"Pid":42}}`)
	write("run/containerd/io.containerd.runtime.v2.task/k8s.io/"+ctrd+"/config.json",
		`{"ociVersion":"1.1.0","annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.container-name":"api",
		"io.kubernetes.cri.image-name":"registry.example/api:2","io.kubernetes.cri.sandbox-name":"api-7c9f","io.kubernetes.cri.sandbox-namespace":"shop",
		"io.kubernetes.cri.sandbox-uid":"0b8e7c1a-5d2f-4e3b-9a1c-7f6e5d4c3b2a"}}`)
	write("run/containers/storage/overlay-containers/"+crio+"/userdata/config.json",
		`{"annotations":{"io.kubernetes.container.name":"db","io.kubernetes.cri-o.ImageName":"postgres:16","io.kubernetes.pod.name":"db-0",
		"io.kubernetes.pod.namespace":"data","io.kubernetes.pod.uid":"11111111-2222-3333-4444-555555555555"}}`)
	m := newRuntimeMeta(root)
	assert.Equal(t, containerMeta{name: "web", image: "nginx:1.27"}, m.lookup(runtimeDocker, docker))
	want := containerMeta{name: "api", image: "registry.example/api:2", podName: "api-7c9f", podNamespace: "shop", pod: "0b8e7c1a-5d2f-4e3b-9a1c-7f6e5d4c3b2a"}
	assert.Equal(t, want, m.lookup(runtimeContainerd, ctrd))
	assert.Equal(t, want, m.lookup("", ctrd), "a cgroupfs path does not name the runtime")
	assert.Equal(t, containerMeta{name: "db", image: "postgres:16", podName: "db-0", podNamespace: "data", pod: "11111111-2222-3333-4444-555555555555"},
		m.lookup(runtimeCRIO, crio))
	assert.Equal(t, containerMeta{}, newRuntimeMeta(root).lookup(runtimeDocker, ctrd), "another runtime's container")
	assert.Equal(t, containerMeta{}, m.lookup("", ""))
}
