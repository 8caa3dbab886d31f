// Command coordimap-migrate converts a coordimap-agent configuration
// (config.yaml) into an otelcol-coordimap configuration.
//
//	coordimap-migrate [-o otelcol.yaml] [--keep-secrets] [--state-dir DIR] [--endpoint URL] config.yaml
//
// The result goes to standard output, or atomically to the -o file; the
// report (every setting not converted or converted with another meaning,
// with its line, and the environment variables to set) goes to standard
// error. Exit status: 0 complete, 1 written but incomplete (review the
// report), 2 nothing written (a legacy file that cannot be converted, or
// bad arguments).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coordimap/otelcol-coordimap/cmd/coordimap-migrate/internal/legacyconfig"
)

// Exit codes.
const (
	exitComplete   = 0
	exitIncomplete = 1
	exitBadInput   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("coordimap-migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the result to this file (atomically, mode 0600) instead of standard output")
	keep := fs.Bool("keep-secrets", false, "write passwords, keys and the API key written in clear inline instead of as ${env:...} references")
	stateDir := fs.String("state-dir", legacyconfig.DefaultStateDir, "directory of the persistent queue, flow-log checkpoints and local graph")
	endpoint := fs.String("endpoint", "", "Coordimap API endpoint the agent sent to (its --endpoint / COORDIMAP_ENDPOINT); default: the exporter's")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: coordimap-migrate [flags] config.yaml   (- reads standard input)\n\n"+
			"Converts a coordimap-agent configuration into an otelcol-coordimap one.\n"+
			"Exit status: 0 complete, 1 written but incomplete (see the report), 2 nothing written.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitComplete
		}
		return exitBadInput
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitBadInput
	}
	path := fs.Arg(0)
	data, err := readInput(path, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "coordimap-migrate: reading the legacy file: %v; nothing written\n", err)
		return exitBadInput
	}
	name := path
	if path == "-" {
		name = "<stdin>"
	}
	file, err := legacyconfig.Parse(data)
	if err != nil {
		fmt.Fprintf(stderr, "coordimap-migrate: %s cannot be converted; nothing written:\n", name)
		var pe *legacyconfig.ParseError
		if errors.As(err, &pe) {
			for _, p := range pe.Problems {
				if p.Line > 0 {
					fmt.Fprintf(stderr, "  %s:%d: %s\n", name, p.Line, p.Msg)
				} else {
					fmt.Fprintf(stderr, "  %s: %s\n", name, p.Msg)
				}
			}
		} else {
			fmt.Fprintf(stderr, "  %v\n", err)
		}
		return exitBadInput
	}
	res, err := legacyconfig.Convert(file, legacyconfig.Options{
		KeepSecrets: *keep, StateDir: *stateDir, Endpoint: *endpoint, Source: filepath.Base(name),
	})
	if err != nil {
		fmt.Fprintf(stderr, "coordimap-migrate: %s: %v; nothing written\n", name, err)
		return exitBadInput
	}
	if *out != "" {
		if err := writeAtomic(*out, res.Config); err != nil {
			fmt.Fprintf(stderr, "coordimap-migrate: %v; nothing written\n", err)
			return exitBadInput
		}
	} else if _, err := stdout.Write(res.Config); err != nil {
		fmt.Fprintf(stderr, "coordimap-migrate: writing the result: %v\n", err)
		return exitBadInput
	}
	dest := "standard output"
	if *out != "" {
		dest = *out
	}
	res.WriteReport(stderr, name, dest)
	if !res.Complete() {
		return exitIncomplete
	}
	return exitComplete
}

func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(path)
}

// writeAtomic writes data to path through a temporary file in the same
// directory, so the path holds either its old content or all of data.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
