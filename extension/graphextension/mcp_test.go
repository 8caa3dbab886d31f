package graphextension

import (
	"context"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The MCP server answers on the extension's own endpoint, over the store
// the exporter writes.
func TestMCPOnTheExtension(t *testing.T) {
	g := startExtension(t, nil)
	ctx := context.Background()
	require.NoError(t, g.WriteEntities(ctx, entityLogs(t).Logs()))
	client := mcp.NewClient(&mcp.Implementation{Name: "extension-test", Version: "v0"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: strings.TrimSuffix(g.URL(), "/") + "/mcp", MaxRetries: -1}, nil)
	require.NoError(t, err)
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	assert.Contains(t, names, "search_assets")
	assert.Contains(t, names, "find_path")
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search_assets", Arguments: map[string]any{"query": "api-7c9f"}})
	require.NoError(t, err)
	require.False(t, res.IsError)
	require.NotEmpty(t, res.Content)
	text := res.Content[0].(*mcp.TextContent).Text
	assert.Contains(t, text, podID)
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_asset", Arguments: map[string]any{"id": "nope"}})
	require.NoError(t, err)
	assert.True(t, res.IsError, "an unknown ID is a tool error")
}

func TestMCPDisabled(t *testing.T) {
	g := startExtension(t, func(c *Config) { c.MCP.Enabled = false })
	client := mcp.NewClient(&mcp.Implementation{Name: "extension-test", Version: "v0"}, nil)
	_, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: strings.TrimSuffix(g.URL(), "/") + "/mcp", MaxRetries: -1}, nil)
	assert.Error(t, err)
}
