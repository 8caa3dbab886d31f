package gcpreceiver

import (
	"context"
	"fmt"
	"net/http"

	crm "google.golang.org/api/cloudresourcemanager/v1"
	"google.golang.org/api/compute/v1"
	"google.golang.org/api/container/v1"
	iam "google.golang.org/api/iam/v1"
	"google.golang.org/api/pubsub/v1"
	"google.golang.org/api/redis/v1"
	run "google.golang.org/api/run/v2"
	sqladmin "google.golang.org/api/sqladmin/v1beta4"
	"google.golang.org/api/storage/v1"

	"github.com/coordimap/otelcol-coordimap/internal/gcpapi"
)

// client is the seam over the REST clients: one per API, all on the
// receiver's HTTP client (credentials, request rate, retries).
type client struct {
	project   string
	compute   *compute.Service
	container *container.Service
	sql       *sqladmin.Service
	storage   *storage.Service
	run       *run.Service
	iam       *iam.Service
	crm       *crm.Service
	pubsub    *pubsub.Service
	redis     *redis.Service
}

// newClient builds the clients; nothing goes over the network before the
// first call (Application Default Credentials are looked up here, and a
// credentials file read).
func newClient(ctx context.Context, cfg *Config) (*client, error) {
	hc, err := gcpapi.NewHTTPClient(ctx, cfg.Auth, cfg.RequestsPerSecond)
	if err != nil {
		return nil, err
	}
	return newClientWith(ctx, cfg.ProjectID, hc, cfg.Endpoints)
}

func newClientWith(ctx context.Context, project string, hc *http.Client, ep Endpoints) (*client, error) {
	c := &client{project: project}
	var err error
	wrap := func(api string, e error) error { return fmt.Errorf("%s client: %w", api, e) }
	if c.compute, err = compute.NewService(ctx, gcpapi.Options(hc, ep.Compute)...); err != nil {
		return nil, wrap("compute", err)
	}
	if c.container, err = container.NewService(ctx, gcpapi.Options(hc, ep.Container)...); err != nil {
		return nil, wrap("container", err)
	}
	if c.sql, err = sqladmin.NewService(ctx, gcpapi.Options(hc, ep.SQLAdmin)...); err != nil {
		return nil, wrap("sqladmin", err)
	}
	if c.storage, err = storage.NewService(ctx, gcpapi.Options(hc, ep.Storage)...); err != nil {
		return nil, wrap("storage", err)
	}
	if c.run, err = run.NewService(ctx, gcpapi.Options(hc, ep.Run)...); err != nil {
		return nil, wrap("run", err)
	}
	if c.iam, err = iam.NewService(ctx, gcpapi.Options(hc, ep.IAM)...); err != nil {
		return nil, wrap("iam", err)
	}
	if c.crm, err = crm.NewService(ctx, gcpapi.Options(hc, ep.ResourceManager)...); err != nil {
		return nil, wrap("cloudresourcemanager", err)
	}
	if c.pubsub, err = pubsub.NewService(ctx, gcpapi.Options(hc, ep.PubSub)...); err != nil {
		return nil, wrap("pubsub", err)
	}
	if c.redis, err = redis.NewService(ctx, gcpapi.Options(hc, ep.Redis)...); err != nil {
		return nil, wrap("redis", err)
	}
	return c, nil
}

// parent is the project's resource name for the APIs that take one.
func (c *client) parent() string { return "projects/" + c.project }

// everyLocation is the parent that lists every location at once.
func (c *client) everyLocation() string { return c.parent() + "/locations/-" }
