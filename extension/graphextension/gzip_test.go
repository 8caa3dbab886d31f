package graphextension

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fetch GETs path with an explicit Accept-Encoding (the client's own
// transparent gzip off) and returns the response and its raw body.
func fetch(t *testing.T, g *GraphExtension, path, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(client.CloseIdleConnections)
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(g.URL(), "/")+path, nil)
	require.NoError(t, err)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return resp, body
}

// The API's answers are gzipped for a client that accepts it, and are the
// same JSON once decompressed; others get them as they are.
func TestAPIGzip(t *testing.T) {
	g := startExtension(t, nil)
	require.NoError(t, g.WriteEntities(context.Background(), entityLogs(t).Logs()))

	plainResp, plain := fetch(t, g, "/api/v1/graph", "")
	assert.Empty(t, plainResp.Header.Get("Content-Encoding"))
	assert.Contains(t, plainResp.Header.Values("Vary"), "Accept-Encoding")
	require.Contains(t, string(plain), podID)

	for _, accept := range []string{"gzip", "gzip, deflate, br, zstd", "br;q=1.0, GZIP;q=0.5", "*"} {
		resp, body := fetch(t, g, "/api/v1/graph", accept)
		require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"), accept)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		zr, err := gzip.NewReader(bytes.NewReader(body))
		require.NoError(t, err, accept)
		unzipped, err := io.ReadAll(zr)
		require.NoError(t, err, accept)
		assert.JSONEq(t, string(plain), string(unzipped), accept)
	}
	for _, accept := range []string{"identity", "br", "gzip;q=0", "*, gzip;q=0", "*;q=0"} {
		resp, body := fetch(t, g, "/api/v1/graph", accept)
		assert.Empty(t, resp.Header.Get("Content-Encoding"), accept)
		assert.JSONEq(t, string(plain), string(body), accept)
	}
}
