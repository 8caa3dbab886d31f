package testneed

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records how the test ended.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.fatal = fmt.Sprintf(format, a...) }
func (r *recorder) Skipf(format string, a ...any)  { r.skip = fmt.Sprintf(format, a...) }

func TestUnavailable(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Unavailable(r, "PostgreSQL", "install postgresql-15", errors.New("initdb not found"))
	assert.Equal(t, "PostgreSQL is not available: initdb not found (required under CI=true)", r.fatal)
	assert.Empty(t, r.skip)

	t.Setenv("CI", "")
	r = &recorder{TB: t}
	Unavailable(r, "PostgreSQL", "install postgresql-15", nil)
	assert.Empty(t, r.fatal)
	assert.Equal(t, "PostgreSQL is not available (install postgresql-15, or set CI=true to fail instead of skipping)", r.skip)
}
