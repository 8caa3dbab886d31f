package flowsreceiver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// containerMeta is what a container runtime's files tell of a container.
type containerMeta struct {
	name, image                string
	podName, podNamespace, pod string
}

// runtimeMeta reads container names and images from the files the
// runtimes keep on the host, relative to root ("/", or where the host's
// filesystem is mounted):
//
//	Docker      var/lib/docker/containers/<id>/config.v2.json   Name, Config.Image
//	containerd  run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/config.json
//	            (the OCI bundle; the CRI plugin's io.kubernetes.cri.* annotations)
//	CRI-O       run/containers/storage/overlay-containers/<id>/userdata/config.json
//	            (io.kubernetes.* and io.kubernetes.cri-o.ImageName annotations)
//
// What cannot be read (no such runtime, no permission) stays empty.
type runtimeMeta struct {
	root  string
	cache map[string]containerMeta
}

func newRuntimeMeta(root string) *runtimeMeta {
	return &runtimeMeta{root: root, cache: map[string]containerMeta{}}
}

// lookup gives the metadata of a container (runtime "" tries each).
func (m *runtimeMeta) lookup(runtime, id string) containerMeta {
	if id == "" {
		return containerMeta{}
	}
	if c, ok := m.cache[id]; ok {
		return c
	}
	var c containerMeta
	switch runtime {
	case runtimeDocker:
		c = m.docker(id)
	case runtimeContainerd:
		c = m.containerd(id)
	case runtimeCRIO, runtimePodman:
		c = m.crio(id)
	default:
		c = m.containerd(id)
		if c == (containerMeta{}) {
			c = m.crio(id)
		}
		if c == (containerMeta{}) {
			c = m.docker(id)
		}
	}
	if len(m.cache) > maxCgroups {
		clear(m.cache)
	}
	m.cache[id] = c
	return c
}

func (m *runtimeMeta) docker(id string) containerMeta {
	var cfg struct {
		Name   string
		Config struct{ Image string }
	}
	if !readJSON(filepath.Join(m.root, "var/lib/docker/containers", id, "config.v2.json"), &cfg) {
		return containerMeta{}
	}
	return containerMeta{name: strings.TrimPrefix(cfg.Name, "/"), image: cfg.Config.Image}
}

func (m *runtimeMeta) containerd(id string) containerMeta {
	paths, _ := filepath.Glob(filepath.Join(m.root, "run/containerd/io.containerd.runtime.v2.task", "*", id, "config.json"))
	return criAnnotations.first(paths)
}

func (m *runtimeMeta) crio(id string) containerMeta {
	var paths []string
	for _, dir := range []string{"run/containers/storage", "var/lib/containers/storage"} {
		paths = append(paths, filepath.Join(m.root, dir, "overlay-containers", id, "userdata", "config.json"))
	}
	return crioAnnotations.first(paths)
}

// annotationKeys are the OCI spec annotations a runtime records a
// container's names in.
type annotationKeys struct{ name, image, podName, podNamespace, pod string }

var (
	criAnnotations = annotationKeys{
		"io.kubernetes.cri.container-name", "io.kubernetes.cri.image-name",
		"io.kubernetes.cri.sandbox-name", "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.cri.sandbox-uid",
	}
	crioAnnotations = annotationKeys{
		"io.kubernetes.container.name", "io.kubernetes.cri-o.ImageName",
		"io.kubernetes.pod.name", "io.kubernetes.pod.namespace", "io.kubernetes.pod.uid",
	}
)

// first reads the first of the OCI specs that can be read.
func (k annotationKeys) first(paths []string) containerMeta {
	for _, p := range paths {
		var spec struct{ Annotations map[string]string }
		if !readJSON(p, &spec) {
			continue
		}
		a := spec.Annotations
		return containerMeta{name: a[k.name], image: a[k.image], podName: a[k.podName], podNamespace: a[k.podNamespace], pod: a[k.pod]}
	}
	return containerMeta{}
}

// readJSON decodes a file of at most 4 MiB (OCI specs are tens of KiB).
func readJSON(path string, v any) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() > 4<<20 {
		return false
	}
	return json.NewDecoder(f).Decode(v) == nil
}
