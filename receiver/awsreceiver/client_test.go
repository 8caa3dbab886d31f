package awsreceiver

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

type countingClient struct{ n int }

func (c *countingClient) Do(*http.Request) (*http.Response, error) {
	c.n++
	return &http.Response{StatusCode: http.StatusOK}, nil
}

// A request waits for the rate: with no token left and a cancelled
// context it does not reach the network.
func TestLimitedClient(t *testing.T) {
	next := &countingClient{}
	c := limitedClient{next: next, lim: rate.NewLimiter(rate.Limit(1), 1)}

	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", nil)
	require.NoError(t, err)
	_, err = c.Do(req)
	require.NoError(t, err)
	assert.Equal(t, 1, next.n)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Do(req.WithContext(ctx))
	require.Error(t, err)
	assert.Equal(t, 1, next.n, "the second request waited for the rate")
}
