package legacyconfig

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/testneed"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the current output")

// goldenCase is one legacy file converted with some options.
type goldenCase struct {
	name  string
	input string
	opts  Options
}

func goldenCases(t *testing.T) []goldenCase {
	inputs, err := filepath.Glob("testdata/legacy/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	var cases []goldenCase
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		cases = append(cases, goldenCase{name: name, input: in})
	}
	return append(cases, goldenCase{
		name:  "invalid_values_keep_secrets",
		input: "testdata/legacy/invalid_values.yaml",
		opts:  Options{KeepSecrets: true, StateDir: "/srv/otelcol", Endpoint: "https://coordimap.example.com/collector/crawlers/infra"},
	})
}

// Every legacy file under testdata/legacy (each sample of the agent's
// README among them) converts to the golden configuration and report, and
// the built collector validates the configuration.
func TestGolden(t *testing.T) {
	bin := collectorBin(t)
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			res := convertFile(t, tc.input, tc.opts)
			var report bytes.Buffer
			res.WriteReport(&report, filepath.Base(tc.input), "standard output")
			checkGolden(t, filepath.Join("testdata", "golden", tc.name+".yaml"), res.Config)
			checkGolden(t, filepath.Join("testdata", "golden", tc.name+".report"), report.Bytes())
			if bin != "" {
				validate(t, bin, res)
			}
		})
	}
}

func convertFile(t *testing.T, path string, opts Options) *Result {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := Parse(data)
	require.NoError(t, err)
	if opts.Source == "" {
		opts.Source = filepath.Base(path)
	}
	res, err := Convert(f, opts)
	require.NoError(t, err)
	return res
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test ./cmd/coordimap-migrate/... -run TestGolden -update")
	assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, rerun with -update and review the diff", path)
}

// collectorBin is the collector `make test` built; "" (skipped) outside
// make test, a failure under CI=true.
func collectorBin(t *testing.T) string {
	bin := os.Getenv("COORDIMAP_COLLECTOR_BIN")
	if bin == "" {
		if testneed.CI() {
			t.Fatal("COORDIMAP_COLLECTOR_BIN is not set: run the tests with `make test`")
		}
		t.Log("COORDIMAP_COLLECTOR_BIN is not set: the results are not validated by the collector (make test sets it)")
		return ""
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("COORDIMAP_COLLECTOR_BIN: %v", err)
	}
	return bin
}

// builtCollector is collectorBin for the tests that only mean something
// with the collector: without it (outside CI, where collectorBin fails)
// they skip.
func builtCollector(t *testing.T) string {
	t.Helper()
	bin := collectorBin(t)
	if bin == "" {
		t.Skip("needs the built collector")
	}
	return bin
}

// collector runs the built collector on res.Config with every variable
// it lists set (to env's value, else to a placeholder).
func collector(t *testing.T, bin string, res *Result, env map[string]string, args ...string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "otelcol.yaml")
	require.NoError(t, os.WriteFile(path, res.Config, 0o600))
	cmd := exec.Command(bin, append(args, "--config", "file:"+path)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for _, e := range res.EnvVars {
		v, ok := env[e.Name]
		if !ok {
			v = "placeholder-" + strings.ToLower(e.Name)
		}
		cmd.Env = append(cmd.Env, e.Name+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: stderr.Bytes()}
	}
	return stdout.String(), nil
}

func validate(t *testing.T, bin string, res *Result) {
	t.Helper()
	if _, err := collector(t, bin, res, nil, "validate"); err != nil {
		t.Fatalf("otelcol-coordimap validate refuses the result: %s\n%s", err.(*exec.ExitError).Stderr, res.Config)
	}
}
