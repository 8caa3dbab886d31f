package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// complete is a legacy file every setting of which converts with the
// meaning the agent gave it.
const complete = `coordimap:
  api_key: ${COORDIMAP_API_KEY}
  data_sources:
    - type: mariadb
      id: maria-shop
      config:
        - name: scope_id
          value: shop-primary
        - name: db_host
          value: shop.db.internal
        - name: db_user
          value: reader
        - name: db_pass
          value: ${SHOP_DB_PASSWORD}
        - name: db_name
          value: shop
        - name: crawl_interval
          value: 2m
`

// withSecrets holds secrets written in clear (one with a dollar sign),
// a crawl_interval without unit and a key the agent did not know.
const withSecrets = `coordimap:
  api_key: KEY-s3cret-api-0001
  data_sources:
    - type: postgres
      id: pg-orders
      config:
        - name: scope_id
          value: "7234567890123456789"
        - name: db_host
          value: orders.db.internal
        - name: db_user
          value: crawler
        - name: db_pass
          value: PW-s3cret-pg-0002
        - name: db_name
          value: orders
        - name: ssl_mode
          value: require
        - name: crawl_interval
          value: "60"
        - name: tags
          value: team-a
    - type: aws
      id: aws-prod
      config:
        - name: scope_id
          value: "123456789012"
        - name: access_key_id
          value: AKIA-s3cret-0003
        - name: secret_access_key
          value: SAK-s3cret-0004
        - name: crawl_interval
          value: 5m
    - type: mongodb
      id: mongo-a
      config:
        - name: scope_id
          value: rs0
        - name: db_host
          value: cluster0.example.mongodb.net
        - name: db_user
          value: crawler
        - name: db_pass
          value: "PW-s3cret-mongo-$0005"
        - name: db_name
          value: shop
        - name: crawl_interval
          value: 1m
`

var secrets = []string{"KEY-s3cret-api-0001", "PW-s3cret-pg-0002", "AKIA-s3cret-0003", "SAK-s3cret-0004", "PW-s3cret-mongo-$0005"}

// invocation is one run of the command.
type invocation struct {
	code           int
	stdout, stderr string
}

func migrate(t *testing.T, stdin string, args ...string) invocation {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return invocation{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// legacyFile writes content to name in a new directory and returns its path.
func legacyFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// lineOf is the 1-based line of the first line of content holding s.
func lineOf(t *testing.T, content, s string) int {
	t.Helper()
	for i, l := range strings.Split(content, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the content", s)
	return 0
}

// dirEntries are the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCompleteExitsZero(t *testing.T) {
	path := legacyFile(t, "config.yaml", complete)
	r := migrate(t, "", path)
	assert.Equal(t, exitComplete, r.code, r.stderr)
	assert.Contains(t, r.stdout, "coordimap_mariadb/maria-shop:")
	assert.Contains(t, r.stdout, "password: ${env:SHOP_DB_PASSWORD}")
	assert.Contains(t, r.stdout, "api_key: ${env:COORDIMAP_API_KEY}")
	assert.Contains(t, r.stderr, path+": 1 data sources converted, 0 not converted, written to standard output; complete")
	assert.NotContains(t, r.stderr, "invalid")
}

func TestIncompleteExitsOneWithEveryFinding(t *testing.T) {
	path := legacyFile(t, "config.yaml", withSecrets)
	r := migrate(t, "", path)
	assert.Equal(t, exitIncomplete, r.code, r.stderr)
	require.NotEmpty(t, r.stdout, "an incomplete result is still written")
	// Each finding names the file, the line, the data source and the setting.
	assert.Contains(t, r.stderr, path+":"+strconv.Itoa(lineOf(t, withSecrets, `value: "60"`))+`: invalid: pg-orders (postgres): crawl_interval: "60": `)
	assert.Contains(t, r.stderr, path+":"+strconv.Itoa(lineOf(t, withSecrets, "value: team-a"))+": not mapped: pg-orders (postgres): tags: ")
	assert.Contains(t, r.stderr, "; incomplete: review the findings marked invalid and not mapped")
}

func TestArguments(t *testing.T) {
	path := legacyFile(t, "config.yaml", complete)
	tests := map[string]struct {
		args []string
		code int
		want string
	}{
		"no file":      {nil, exitBadInput, "usage: coordimap-migrate"},
		"two files":    {[]string{path, path}, exitBadInput, "usage: coordimap-migrate"},
		"unknown flag": {[]string{"--nope", path}, exitBadInput, "flag provided but not defined: -nope"},
		"help":         {[]string{"-h"}, exitComplete, "Exit status: 0 complete, 1 written but incomplete"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := migrate(t, "", tc.args...)
			assert.Equal(t, tc.code, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestStandardInput(t *testing.T) {
	r := migrate(t, complete, "-")
	assert.Equal(t, exitComplete, r.code, r.stderr)
	assert.Contains(t, r.stdout, "converted by coordimap-migrate from <stdin>")
	assert.Contains(t, r.stderr, "coordimap-migrate: <stdin>: 1 data sources converted")

	r = migrate(t, "coordimap: [\n", "-")
	assert.Equal(t, exitBadInput, r.code)
	assert.Contains(t, r.stderr, "<stdin> cannot be converted; nothing written")
}

// A legacy file that cannot be converted gives its problems with their
// lines, exit status 2, and writes nothing: an existing -o file keeps
// its content, a new one is not created, no temporary file is left.
func TestBadLegacyFileWritesNothing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	tests := map[string]struct {
		content string // "" for a path that is not a readable file
		path    string
		want    []string
	}{
		"wrong types": {
			content: "coordimap:\n  api_key: {value: KEY-s3cret-api-0001}\n  data_sources:\n    - postgres\n",
			want: []string{
				"config.yaml:2: coordimap.api_key: must be a single value, not a mapping",
				`config.yaml:4: data_sources[0]: must be a mapping, not the value "postgres"`,
			},
		},
		"duplicate IDs": {
			content: "coordimap:\n  api_key: x\n  data_sources:\n    - type: postgres\n      id: same\n    - type: kubernetes\n      id: same\n",
			want:    []string{`config.yaml:7: data source ID "same" is used twice (lines 5 and 7); IDs must be unique`},
		},
		"unknown type": {
			content: "coordimap:\n  api_key: x\n  data_sources:\n    - type: redis\n      id: a\n",
			want:    []string{`config.yaml:4: data_sources[0]: type "redis": unknown data source type (one of `},
		},
		"secret as a list": {
			content: "coordimap:\n  api_key: x\n  data_sources:\n    - type: postgres\n      id: a\n      config:\n        - name: db_pass\n          value: [PW-s3cret-pg-0002]\n",
			want:    []string{"config.yaml:8: data_sources[0].config[0].value: must be a single value, not a list"},
		},
		"invalid YAML": {
			content: "coordimap:\n  api_key: PW-s3cret-pg-0002\n  data_sources: [\n",
			want:    []string{"config.yaml cannot be converted; nothing written", "not YAML: "},
		},
		"missing file": {
			path: missing,
			want: []string{"coordimap-migrate: reading the legacy file: open " + missing + ": no such file or directory; nothing written"},
		},
		"a directory": {
			path: t.TempDir(),
			want: []string{"coordimap-migrate: reading the legacy file: ", ": is a directory; nothing written"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = legacyFile(t, "config.yaml", tc.content)
			}
			outDir := t.TempDir()
			existing := filepath.Join(outDir, "existing.yaml")
			require.NoError(t, os.WriteFile(existing, []byte("old content\n"), 0o644))

			r := migrate(t, "", "-o", existing, path)
			assert.Equal(t, exitBadInput, r.code)
			assert.Empty(t, r.stdout)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			for _, s := range secrets {
				assert.NotContains(t, r.stderr, s)
			}
			got, err := os.ReadFile(existing)
			require.NoError(t, err)
			assert.Equal(t, "old content\n", string(got), "the existing output file is untouched")

			fresh := filepath.Join(outDir, "new.yaml")
			r = migrate(t, "", "-o", fresh, path)
			assert.Equal(t, exitBadInput, r.code)
			assert.NoFileExists(t, fresh)
			assert.Equal(t, []string{"existing.yaml"}, dirEntries(t, outDir), "nothing else in the output directory")

			r = migrate(t, "", path)
			assert.Equal(t, exitBadInput, r.code)
			assert.Empty(t, r.stdout, "nothing on standard output either")
		})
	}
}

// -o replaces the file whole, mode 0600, with what standard output gets.
func TestOutputFile(t *testing.T) {
	path := legacyFile(t, "config.yaml", withSecrets)
	want := migrate(t, "", path)
	require.Equal(t, exitIncomplete, want.code)

	outDir := t.TempDir()
	out := filepath.Join(outDir, "otelcol.yaml")
	require.NoError(t, os.WriteFile(out, bytes.Repeat([]byte("old content that is longer than nothing\n"), 1000), 0o644))
	r := migrate(t, "", "-o", out, path)
	assert.Equal(t, exitIncomplete, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, want.stdout, string(got))
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assert.Equal(t, []string{"otelcol.yaml"}, dirEntries(t, outDir), "no temporary file left")
	assert.Contains(t, r.stderr, "written to "+out+"; incomplete")
	assert.Equal(t, strings.Replace(want.stderr, "written to standard output", "written to "+out, 1), r.stderr,
		"the same report as when writing to standard output")
}

// When the result cannot be put in place, the command fails and leaves
// neither the result nor its temporary file.
func TestOutputFileFailure(t *testing.T) {
	path := legacyFile(t, "config.yaml", complete)
	t.Run("no such directory", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "nodir", "otelcol.yaml")
		r := migrate(t, "", "-o", out, path)
		assert.Equal(t, exitBadInput, r.code)
		assert.Contains(t, r.stderr, "coordimap-migrate: writing "+out+": ")
		assert.Contains(t, r.stderr, "; nothing written\n")
		assert.NoFileExists(t, out)
		assert.Empty(t, r.stdout)
	})
	t.Run("a directory in the way", func(t *testing.T) {
		outDir := t.TempDir()
		out := filepath.Join(outDir, "otelcol.yaml")
		require.NoError(t, os.Mkdir(out, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(out, "keep"), []byte("x"), 0o644))
		r := migrate(t, "", "-o", out, path)
		assert.Equal(t, exitBadInput, r.code)
		assert.Contains(t, r.stderr, "coordimap-migrate: writing "+out+": ")
		assert.NotContains(t, r.stderr, "complete", "no report of a result that was not written")
		assert.Equal(t, []string{"otelcol.yaml"}, dirEntries(t, outDir), "the temporary file is removed")
		assert.Equal(t, []string{"keep"}, dirEntries(t, out))
	})
}

// Secrets written in clear become ${env:...} references listed on
// standard error; none reaches standard output, standard error or the
// -o file, unless --keep-secrets asks for them inline.
func TestSecretsNotInClear(t *testing.T) {
	path := legacyFile(t, "config.yaml", withSecrets)
	out := filepath.Join(t.TempDir(), "otelcol.yaml")
	for _, args := range [][]string{{path}, {"-o", out, path}} {
		r := migrate(t, "", args...)
		require.Equal(t, exitIncomplete, r.code, r.stderr)
		written := r.stdout
		if len(args) > 1 {
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			written = string(b)
		}
		for _, s := range secrets {
			assert.NotContains(t, written, s)
			assert.NotContains(t, r.stdout, s)
			assert.NotContains(t, r.stderr, s)
		}
		_, list, ok := strings.Cut(r.stderr, "Set these environment variables for otelcol-coordimap:\n")
		require.True(t, ok, "the variables to set are printed:\n%s", r.stderr)
		for name, line := range map[string]string{
			"COORDIMAP_API_KEY":                        "api_key: KEY",
			"COORDIMAP_PG_ORDERS_PASSWORD":             "PW-s3cret-pg",
			"COORDIMAP_AWS_PROD_AWS_ACCESS_KEY_ID":     "AKIA-",
			"COORDIMAP_AWS_PROD_AWS_SECRET_ACCESS_KEY": "SAK-",
			"COORDIMAP_MONGO_A_PASSWORD":               "PW-s3cret-mongo",
		} {
			assert.Contains(t, written, "${env:"+name+"}")
			assert.Regexp(t, `(?m)^  `+name+` .*written in clear in the legacy file`, list)
			if name != "COORDIMAP_API_KEY" {
				assert.Regexp(t, `(?m)^  `+name+` .*line `+strconv.Itoa(lineOf(t, withSecrets, line))+`\)$`, list)
			}
		}
	}

	r := migrate(t, "", "--keep-secrets", path)
	require.Equal(t, exitIncomplete, r.code, r.stderr)
	for _, s := range secrets {
		// $ is written $$ so that the collector reads it as it is.
		assert.Contains(t, r.stdout, strings.ReplaceAll(s, "$", "$$"), "--keep-secrets writes it inline")
		assert.NotContains(t, r.stderr, s)
	}
	assert.NotContains(t, r.stdout, "${env:")
	assert.NotContains(t, r.stderr, "Set these environment variables")
}

// The command writes the legacyconfig goldens for each legacy test file
// (every sample of the agent's README among them), which TestGolden
// there has the built collector validate; its exit status says whether
// the report found the result complete.
func TestLegacySamples(t *testing.T) {
	dir := filepath.Join("internal", "legacyconfig", "testdata")
	inputs, err := filepath.Glob(filepath.Join(dir, "legacy", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	codes := map[int]int{}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			r := migrate(t, "", in)
			config, err := os.ReadFile(filepath.Join(dir, "golden", name+".yaml"))
			require.NoError(t, err)
			report, err := os.ReadFile(filepath.Join(dir, "golden", name+".report"))
			require.NoError(t, err)
			assert.Equal(t, string(config), r.stdout)
			assert.Equal(t, string(report), strings.ReplaceAll(r.stderr, in, filepath.Base(in)))
			want := exitIncomplete
			if strings.HasSuffix(string(report), "; complete\n") {
				want = exitComplete
			}
			assert.Equal(t, want, r.code)
			codes[r.code]++
		})
	}
	assert.Positive(t, codes[exitComplete], "some sample converts completely")
	assert.Positive(t, codes[exitIncomplete], "some sample converts incompletely")
}

// The built command exits with run's status, the result on standard
// output and the report on standard error.
func TestBuiltCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "coordimap-migrate")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	for content, want := range map[string]int{
		complete:            exitComplete,
		withSecrets:         exitIncomplete,
		"coordimap: [\n":    exitBadInput,
		"coordimap:\n  x\n": exitBadInput,
	} {
		path := legacyFile(t, "config.yaml", content)
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, path)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else {
			require.NoError(t, err)
		}
		assert.Equal(t, want, code, "%s\n%s", content, stderr.String())
		if want == exitBadInput {
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), path+" cannot be converted; nothing written")
			continue
		}
		assert.Contains(t, stdout.String(), "\nservice:\n")
		assert.NotContains(t, stdout.String(), "coordimap-migrate: "+path)
		assert.Contains(t, stderr.String(), "coordimap-migrate: "+path+": ")
	}
}
