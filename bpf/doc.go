// Package bpf holds the eBPF programs of the coordimap_flows receiver: the C
// sources (flows.c, include/), and the object and Go bindings bpf2go builds
// from them (flows_bpfel.o, flows_bpfel.go), both committed so that building
// and testing need no clang.
//
// Regenerate after changing the C sources with `make generate` (or
// `go generate ./bpf`), which needs clang and llvm-strip; see README.md.
package bpf

//go:generate go tool bpf2go -tags linux -target bpfel -go-package bpf -type flow_side -type stat Flows flows.c -- -mcpu=v3 -I./include -Wall -Werror
