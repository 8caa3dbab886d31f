//go:build !linux || !(386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package flowsreceiver

import (
	"errors"
	"runtime"
)

// tracer is not available here: the programs are built for little-endian
// Linux.
type tracer struct {
	mode           string
	fallbackReason error
}

func loadTracer(tracerOptions) (*tracer, error) {
	return nil, errors.New("eBPF flows need Linux on a little-endian CPU, not " + runtime.GOOS + "/" + runtime.GOARCH)
}

func (*tracer) close() error                   { return nil }
func (*tracer) flows() ([]flowEntry, error)    { return nil, nil }
func (*tracer) listeners() ([]listener, error) { return nil, nil }
func (*tracer) addListeners([]listener) error  { return nil }
func (*tracer) stats() (kernelStats, error)    { return kernelStats{}, nil }

func kernelRelease() string { return "" }

func resolveInterface(string, string) (uint32, uint32, error) {
	return 0, 0, errors.New("interface_name needs Linux")
}
