package crawltest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Pauser is a test server that stops answering and comes back.
type Pauser interface {
	Pause() error
	Resume() error
}

// CheckServerDown pauses s under r, a receiver crawling it every short
// collection_interval, and checks what every crawling receiver promises
// when its server goes away: a recoverable error that names the receiver
// and the endpoint, logged once however many crawls fail during down; once
// the server is back, StatusOK and batches again, the recovery logged
// once; no deletes because the server was down. It returns the error
// reported while the server was down.
func CheckServerDown(t *testing.T, r *Receiver, s Pauser, endpoint string, down time.Duration) error {
	t.Helper()
	r.WaitBatches(t, 1)
	r.WaitOK(t)

	require.NoError(t, s.Pause())
	paused := true
	t.Cleanup(func() {
		if paused {
			_ = s.Resume()
		}
	})
	err := r.WaitError(t)
	t.Log(err)
	assert.Contains(t, err.Error(), r.ID.String())
	assert.Contains(t, err.Error(), endpoint)
	time.Sleep(down) // several failed crawls
	assert.Equal(t, 1, r.Logs.FilterMessageSnippet("crawl failed").Len(), "logged once per state change:\n%s", r.LogText())

	batches := len(r.Sink.AllLogs())
	require.NoError(t, s.Resume())
	paused = false
	r.WaitOK(t)
	r.WaitBatches(t, batches+1)
	assert.Equal(t, 1, r.Logs.FilterMessageSnippet("crawl recovered").Len())
	assert.Empty(t, r.Deletes(), "no deletes because the server was down")
	return err
}

// CheckWrongPassword waits for the error of r, whose password the server
// refuses, and checks that it names the receiver, the endpoint and the
// user, that the password shows nowhere (neither in the error nor in the
// logs) and that nothing was emitted. It returns the error, for the
// server's own words.
func CheckWrongPassword(t *testing.T, r *Receiver, endpoint, user, password string) error {
	t.Helper()
	err := r.WaitError(t)
	t.Log(err)
	assert.Contains(t, err.Error(), r.ID.String())
	assert.Contains(t, err.Error(), endpoint)
	assert.Contains(t, err.Error(), user)
	assert.NotContains(t, err.Error(), password)
	assert.NotContains(t, r.LogText(), password)
	assert.Empty(t, r.Sink.AllLogs())
	return err
}
