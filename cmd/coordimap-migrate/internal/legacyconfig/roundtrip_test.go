package legacyconfig

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// resolved is the collector's own reading of a converted configuration
// (print-config, unredacted): defaults filled in, variables expanded, $$
// unescaped.
func resolved(t *testing.T, bin string, res *Result, env map[string]string) map[string]any {
	t.Helper()
	out, err := collector(t, bin, res, env, "print-config", "--mode", "unredacted")
	if err != nil {
		t.Fatalf("print-config: %s\n%s", err.(*exec.ExitError).Stderr, res.Config)
	}
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(out), &cfg))
	return cfg
}

// at is the value at a path of keys (and list indexes) in a resolved
// configuration.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			require.True(t, ok, "%v: not a mapping at %q", path, k)
			v = m[k]
		case int:
			l, ok := v.([]any)
			require.True(t, ok, "%v: not a list at %d", path, k)
			require.Greater(t, len(l), k)
			v = l[k]
		}
	}
	return v
}

// envValues gives every variable a distinct value, so that a setting read
// from the wrong variable shows.
func envValues(res *Result) map[string]string {
	env := map[string]string{}
	for _, e := range res.EnvVars {
		env[e.Name] = "value-of-" + strings.ToLower(e.Name)
	}
	return env
}

// expand is what the collector reads for a legacy value: ${VAR} is the
// variable's value.
func expand(v string, env map[string]string) string {
	if name, ok := refName(v); ok {
		return env[name]
	}
	return v
}

func sameDuration(t *testing.T, want string, got any, msg string) {
	t.Helper()
	w, ok := intendedInterval(want)
	require.True(t, ok, msg)
	g, err := time.ParseDuration(fmt.Sprint(got))
	require.NoError(t, err, msg)
	assert.Equal(t, w, g, msg)
}

// The mixed configuration goes through the collector and back: every
// legacy setting of every data source is found, with its value, at the
// key it maps to, as the collector itself reads the result.
func TestRoundTripMixed(t *testing.T) {
	bin := builtCollector(t)
	data, err := os.ReadFile("testdata/legacy/mixed.yaml")
	require.NoError(t, err)
	legacy, err := Parse(data)
	require.NoError(t, err)
	res, err := Convert(legacy, Options{Source: "mixed.yaml"})
	require.NoError(t, err)
	require.True(t, res.Complete(), "mixed.yaml converts completely: %v", res.Findings)
	require.Equal(t, len(legacy.DataSources), res.Converted)
	env := envValues(res)
	cfg := resolved(t, bin, res, env)

	assert.Equal(t, env["COORDIMAP_API_KEY"], at(t, cfg, "exporters", "coordimap", "api_key"))
	assert.Equal(t, "file_storage", at(t, cfg, "exporters", "coordimap", "sending_queue", "storage"))
	pipeline := at(t, cfg, "service", "pipelines", "logs", "receivers").([]any)
	require.Len(t, pipeline, len(legacy.DataSources))

	types := map[string]string{
		TypePostgres: "coordimap_postgres", TypeMariaDB: "coordimap_mariadb", TypeMySQL: "coordimap_mariadb",
		TypeMongoDB: "coordimap_mongodb", TypeKubernetes: "coordimap_kubernetes", TypeAWS: "coordimap_aws",
		TypeAWSFlowLogs: "coordimap_aws_flow_logs", TypeFlows: "coordimap_flows",
	}
	for i, ds := range legacy.DataSources {
		id := types[ds.Type] + "/" + ds.ID
		assert.Equal(t, id, pipeline[i], "pipeline order follows the legacy file")
		r, ok := at(t, cfg, "receivers", id).(map[string]any)
		require.True(t, ok, "receiver %s", id)
		assert.Equal(t, ds.ID, r["data_source_id"], id)
		for _, st := range ds.Settings {
			msg := fmt.Sprintf("%s: %s (line %d)", id, st.Name, st.Line)
			v := expand(st.Value, env)
			switch st.Name {
			case "scope_id", "cluster_name", "interface_name":
				assert.Equal(t, v, r[st.Name], msg)
			case "db_user":
				assert.Equal(t, v, r["username"], msg)
			case "db_pass":
				assert.Equal(t, v, r["password"], msg)
			case "access_key_id", "secret_access_key":
				assert.Equal(t, v, r[st.Name], msg)
			case "db_name":
				var dbs []any
				for _, db := range strings.Split(v, ",") {
					dbs = append(dbs, db)
				}
				assert.Equal(t, dbs, r["databases"], msg)
			case "db_host":
				if ds.Type == TypeMongoDB {
					assert.Equal(t, "mongodb+srv://"+v+"/", r["uri"], msg)
					break
				}
				host, _, err := net.SplitHostPort(fmt.Sprint(r["endpoint"]))
				require.NoError(t, err, msg)
				assert.Equal(t, v, host, msg)
			case "ssl_mode":
				tls := r["tls"].(map[string]any)
				switch {
				case ds.Type == TypePostgres && v == "disable":
					assert.Equal(t, true, tls["insecure"], msg)
				default: // require, and MariaDB/MySQL whatever ssl_mode said
					assert.NotEqual(t, true, tls["insecure"], msg)
					assert.Equal(t, true, tls["insecure_skip_verify"], msg)
				}
			case "crawl_interval":
				key := "collection_interval"
				if ds.Type == TypeKubernetes {
					key = "report_interval"
				}
				sameDuration(t, v, r[key], msg)
			case "mapping_internal_id":
				want := v
				if dsid := ds.settingValue("mapping_data_source_id"); dsid != "" {
					want = dsid + "-" + v
				}
				assert.Equal(t, want, r["mapping_internal_id"], msg)
			case "mapping_data_source_id":
				assert.True(t, strings.HasPrefix(fmt.Sprint(r["mapping_internal_id"]), v+"-"), msg)
			case "in_cluster":
				assert.Equal(t, "serviceAccount", r["auth_type"], msg)
			case "external_mappings":
				var want []any
				for _, e := range strings.Fields(v) {
					want = append(want, e)
				}
				assert.Equal(t, want, r["external_mappings"], msg)
			case "policy_config":
				assert.Equal(t, v == "true", r["policy_config"], msg)
			case "log_format":
				assert.Equal(t, v, r["log_format"], msg)
			case "bucket_name":
				assert.Equal(t, v, r["bucket"], msg)
			case "region":
				assert.Equal(t, v, r["region"], msg)
			case "deployedAt":
				assert.Equal(t, v, r["deployed_at"], msg)
			default:
				t.Errorf("%s: no round-trip check for this setting", msg)
			}
		}
	}
}

func (ds *DataSource) settingValue(name string) string {
	for _, st := range ds.Settings {
		if st.Name == name {
			return st.Value
		}
	}
	return ""
}

// Secrets kept inline and text with '$' come out of the collector as the
// legacy file wrote them: every '$' is escaped, nothing is expanded.
func TestRoundTripDollarSigns(t *testing.T) {
	bin := builtCollector(t)
	res := convertFile(t, "testdata/legacy/invalid_values.yaml", Options{KeepSecrets: true})
	env := envValues(res)
	cfg := resolved(t, bin, res, env)
	assert.Equal(t, "pa$$word${x}", at(t, cfg, "receivers", "coordimap_postgres/pg/one_two", "password"))
	assert.Equal(t, "pg/one two", at(t, cfg, "receivers", "coordimap_postgres/pg/one_two", "data_source_id"))
	assert.Equal(t, env["PGUSER"], at(t, cfg, "receivers", "coordimap_postgres/pg/one_two", "username"))
	assert.Equal(t, "s3cr3t$", at(t, cfg, "receivers", "coordimap_aws/aws-2", "secret_access_key"))
	assert.Equal(t, "AKIAEXAMPLE", at(t, cfg, "receivers", "coordimap_aws/aws-2", "access_key_id"))
	assert.Equal(t, "cm-live-0123456789abcdef", at(t, cfg, "exporters", "coordimap", "api_key"))
	assert.Equal(t, "${bad-name}", at(t, cfg, "receivers", "coordimap_mariadb/maria-2", "password"))
	assert.Equal(t, env["MARIA_HOST"]+":3307", at(t, cfg, "receivers", "coordimap_mariadb/maria-2", "endpoint"))
	assert.Equal(t, "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${bytes} ${start} ${end} ${action}",
		at(t, cfg, "receivers", "coordimap_aws_flow_logs/flows-custom", "log_format"))
}

// The collector's validate is no formality: a result with a broken value
// is refused, so the golden files' validation can fail.
func TestValidateRefusesBrokenResult(t *testing.T) {
	bin := builtCollector(t)
	res := convertFile(t, "testdata/legacy/seed_postgres.yaml", Options{})
	broken := *res
	broken.Config = []byte(strings.Replace(string(res.Config), "endpoint: your_db_host:5432", "endpoint: your_db_host", 1))
	require.NotEqual(t, res.Config, broken.Config)
	_, err := collector(t, bin, &broken, nil, "validate")
	require.Error(t, err)
	assert.Contains(t, string(err.(*exec.ExitError).Stderr), "endpoint: must be host:port")
}
