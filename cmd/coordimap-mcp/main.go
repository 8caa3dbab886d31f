// Command coordimap-mcp serves the local graph store (the one the
// coordimap_graph extension writes) to an MCP client over stdio: the
// client starts it, speaks MCP on its stdin and stdout, and reads the graph
// through read-only tools. The store is opened read-only, so it runs
// beside a collector writing the same SQLite file or PostgreSQL database.
//
//	coordimap-mcp --store ./coordimap-graph.db
//	COORDIMAP_GRAPH_POSTGRES_DSN=postgres://reader@db/coordimap coordimap-mcp
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/coordimap/otelcol-coordimap/internal/graphmcp"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// version is set at build time (make build: the distribution's version).
var version = "dev"

// DSNEnv names the environment variable holding the PostgreSQL DSN, so
// that its password is not on the command line.
const DSNEnv = "COORDIMAP_GRAPH_POSTGRES_DSN"

// defaultStore is where the coordimap_graph extension puts its SQLite
// store by default.
const defaultStore = "./coordimap-graph.db"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, &mcp.StdioTransport{}, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "coordimap-mcp:", err)
		os.Exit(1)
	}
}

// config is what the command line and environment say.
type config struct {
	store       string
	postgresDSN string
	showVersion bool
}

func parseArgs(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("coordimap-mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.store, "store", "", "the SQLite graph store `file` (default "+defaultStore+")")
	fs.StringVar(&c.postgresDSN, "postgres-dsn", "", "the PostgreSQL graph store's `DSN` instead of SQLite; prefer $"+DSNEnv+
		", which keeps the password off the command line")
	fs.BoolVar(&c.showVersion, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: coordimap-mcp [--store FILE | --postgres-dsn DSN]\n\n"+
			"Serves the coordimap graph store, read-only, to an MCP client over stdio.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	if c.postgresDSN == "" {
		c.postgresDSN = getenv(DSNEnv)
	}
	if c.postgresDSN != "" && c.store != "" {
		return c, fmt.Errorf("--store and a PostgreSQL DSN (--postgres-dsn or $%s) both given: choose one store", DSNEnv)
	}
	if c.postgresDSN == "" && c.store == "" {
		c.store = defaultStore
	}
	return c, nil
}

// open opens the configured store read-only.
func open(ctx context.Context, c config) (*graphstore.Store, string, error) {
	opts := graphstore.Options{ReadOnly: true}
	if c.postgresDSN != "" {
		s, err := graphstore.OpenPostgres(ctx, c.postgresDSN, 4, opts)
		return s, "PostgreSQL", err
	}
	if _, err := os.Stat(c.store); err != nil {
		return nil, "", fmt.Errorf("no graph store at %s (%w): run the collector with the coordimap_graph extension first, or give --store", c.store, err)
	}
	s, err := graphstore.OpenSQLite(ctx, c.store, opts)
	return s, c.store, err
}

// run serves the store over transport until the client goes or ctx ends.
// stdout is only written for --version: otherwise it is the transport's.
func run(ctx context.Context, args []string, getenv func(string) string, transport mcp.Transport, stdout, stderr io.Writer) error {
	c, err := parseArgs(args, getenv, stderr)
	if err != nil {
		return err
	}
	if c.showVersion {
		fmt.Fprintln(stdout, "coordimap-mcp", version)
		return nil
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	store, where, err := open(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	log.Info("serving the graph store over MCP stdio", "store", where, "backend", store.Backend(), "version", version)
	err = graphmcp.NewServer(store, version).Run(ctx, transport)
	if ctx.Err() != nil {
		// A signal: a normal stop.
		err = nil
	}
	log.Info("stopped")
	return err
}
