package configstrict

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/confmap"
)

type config struct {
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	Own          string                  `mapstructure:"own"`
	Nested       struct {
		Inner int `mapstructure:"inner"`
	} `mapstructure:"nested"`
}

func TestCheck(t *testing.T) {
	good := confmap.NewFromStringMap(map[string]any{
		"endpoint": "http://x", "timeout": "5s", "tls": map[string]any{"insecure": true},
		"own": "v", "nested": map[string]any{"inner": 1},
	})
	require.NoError(t, Check(good, &config{}))

	for name, raw := range map[string]map[string]any{
		"top-level typo":          {"endpont": "http://x"},
		"typo in embedded nested": {"tls": map[string]any{"insecur": true}},
		"typo in own nested":      {"nested": map[string]any{"iner": 1}},
	} {
		err := Check(confmap.NewFromStringMap(raw), &config{})
		require.Error(t, err, name)
		for k := range raw {
			assert.Contains(t, err.Error(), k, name)
		}
	}
}

// TestConfmapAloneIgnoresTypos documents why this package exists.
func TestConfmapAloneIgnoresTypos(t *testing.T) {
	var cfg config
	err := confmap.NewFromStringMap(map[string]any{"endpont": "http://x"}).Unmarshal(&cfg)
	assert.NoError(t, err, "if confmap starts rejecting this, configstrict can go")
}
