package dbsource

import (
	"errors"
	"fmt"
)

var errEmptyDatabase = errors.New("databases: names must not be empty")

// CheckDatabases lists the problems of a databases setting, at most one per
// entry, in order: an empty name, what check (may be nil) says of the name,
// a name listed twice.
func CheckDatabases(names []string, check func(name string) error) []error {
	var errs []error
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if err := checkDatabase(name, check, seen); err != nil {
			errs = append(errs, err)
		}
		seen[name] = true
	}
	return errs
}

func checkDatabase(name string, check func(string) error, seen map[string]bool) error {
	if name == "" {
		return errEmptyDatabase
	}
	if check != nil {
		if err := check(name); err != nil {
			return err
		}
	}
	if seen[name] {
		return fmt.Errorf("databases: %q is listed twice", name)
	}
	return nil
}
