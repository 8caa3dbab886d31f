package crawl

import "errors"

// PartialError is a crawl that failed in part and emitted the rest: one
// region or one API of a cloud account refused, the others answered. Loop
// reports it like any failure but waits the whole interval before the next
// crawl: retrying at once would repeat every call that succeeded to retry
// the one that is probably refused for good (a missing permission).
type PartialError struct{ Err error }

func (e *PartialError) Error() string { return e.Err.Error() }

func (e *PartialError) Unwrap() error { return e.Err }

// Partial marks err as a partial failure; nil stays nil.
func Partial(err error) error {
	if err == nil {
		return nil
	}
	return &PartialError{Err: err}
}

// IsPartial reports whether err is, or wraps, a partial failure.
func IsPartial(err error) bool {
	var p *PartialError
	return errors.As(err, &p)
}
