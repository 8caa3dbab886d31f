// Package storagehost opens the client of a storage extension (such as
// file_storage) that a component's config names by ID.
package storagehost

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Client finds extension id on host and opens its client for the
// component owner of the given kind. Errors name the owner and say what
// is wrong with the extension.
func Client(ctx context.Context, host component.Host, id component.ID, kind component.Kind, owner component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("%s: storage: extension %q not found", owner, id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("%s: storage: extension %q is not a storage extension", owner, id)
	}
	sc, err := se.GetClient(ctx, kind, owner, "")
	if err != nil {
		return nil, fmt.Errorf("%s: storage: %w", owner, err)
	}
	return sc, nil
}
