package loopback

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIs(t *testing.T) {
	for host, local := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true, "localhost": true, "app.localhost": true,
		"/var/run/postgresql": true, "::ffff:127.0.0.1": true,
		"10.0.0.5": false, "db.internal": false, "2001:db8::1": false, "localhost.example.com": false, "": false,
	} {
		assert.Equal(t, local, Is(host), host)
	}
}
