// Package gcpapi is how the GCP receivers use the REST clients of
// google.golang.org/api: one HTTP client per receiver that authenticates
// (a credentials file, else Application Default Credentials: the
// environment, gcloud's file, GKE workload identity, the GCE metadata
// server), bounds the request rate and retries what Google asks to retry
// (429, 503, with Retry-After); the client options of one API with its
// endpoint override; the errors of a refused read, naming the API and the
// permission; and the settings both receivers validate alike.
package gcpapi // import "github.com/coordimap/otelcol-coordimap/internal/gcpapi"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"golang.org/x/time/rate"
	"google.golang.org/api/option"
)

// Scope is the OAuth scope of every read (the roles bound to the
// credentials decide what they may read).
const Scope = "https://www.googleapis.com/auth/cloud-platform"

// maxAttempts bounds the tries of one request that Google throttles.
const maxAttempts = 5

var (
	projectIDPattern = regexp.MustCompile(`^([a-z][-a-z0-9.]*[a-z0-9]:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$`)
	regionPattern    = regexp.MustCompile(`^[a-z]+(-[a-z]+)+[0-9]+$`)
)

// IsProjectID reports whether id is a project ID (not a number or a
// display name): 6 to 30 lowercase letters, digits and hyphens, starting
// with a letter; legacy domain-scoped IDs (example.com:proj) too.
func IsProjectID(id string) bool { return projectIDPattern.MatchString(id) }

// ValidateProjectID checks the project_id setting.
func ValidateProjectID(id string) error {
	switch {
	case id == "":
		return errors.New("project_id: must not be empty")
	case !IsProjectID(id):
		return fmt.Errorf("project_id: %q is not a project ID (6 to 30 lowercase letters, digits and hyphens; the number goes in scope_id)", id)
	}
	return nil
}

// IsRegion reports whether name looks like a GCP region (europe-west3).
func IsRegion(name string) bool { return regionPattern.MatchString(name) }

// Auth are the authentication settings both receivers share.
type Auth struct {
	// CredentialsFile is a service account key, an authorized user or an
	// external account (workload identity federation) JSON file; empty
	// means Application Default Credentials.
	CredentialsFile string `mapstructure:"credentials_file"`
	// WithoutAuthentication sends no credentials: for emulators, test
	// servers and private endpoints that authenticate at a proxy.
	WithoutAuthentication bool `mapstructure:"without_authentication"`
}

// Validate returns every problem of the settings, each naming its field.
func (a Auth) Validate() []error {
	var errs []error
	if a.CredentialsFile != "" && a.WithoutAuthentication {
		errs = append(errs, errors.New("credentials_file: cannot be set with without_authentication"))
	}
	return errs
}

// ValidateEndpoint checks an endpoint override: empty, or an http(s) URL.
func ValidateEndpoint(field, endpoint string) error {
	if endpoint == "" {
		return nil
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: must be an http or https URL", field)
	}
	return nil
}

// NewHTTPClient is the HTTP client of one receiver: authenticated as a
// configures, every request (retries included) waiting for the request
// rate (rps; 0 means none), throttled requests retried.
func NewHTTPClient(ctx context.Context, a Auth, rps float64) (*http.Client, error) {
	var base http.RoundTripper = &retrying{next: http.DefaultTransport.(*http.Transport).Clone()}
	if rps > 0 {
		base = &limited{next: base, lim: rate.NewLimiter(rate.Limit(rps), max(1, int(rps)))}
	}
	if a.WithoutAuthentication {
		return &http.Client{Transport: base}, nil
	}
	creds, err := credentials(ctx, a.CredentialsFile)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: &oauth2.Transport{Source: creds.TokenSource, Base: base}}, nil
}

func credentials(ctx context.Context, file string) (*google.Credentials, error) {
	if file == "" {
		creds, err := google.FindDefaultCredentials(ctx, Scope)
		if err != nil {
			return nil, fmt.Errorf("application default credentials: %w", err)
		}
		return creds, nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("credentials_file: %w", err)
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("credentials_file %s: not a JSON credentials file: %w", file, err)
	}
	creds, err := google.CredentialsFromJSONWithType(ctx, raw, google.CredentialsType(head.Type), Scope)
	if err != nil {
		return nil, fmt.Errorf("credentials_file %s: %w", file, err)
	}
	return creds, nil
}

// Options are the client options of one API: the receiver's HTTP client
// and, when set, the endpoint override (the whole base path, e.g.
// https://host/compute/v1/).
func Options(hc *http.Client, endpoint string) []option.ClientOption {
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if endpoint != "" {
		opts = append(opts, option.WithEndpoint(endpoint))
	}
	return opts
}

// limited makes every request wait for the receiver's request rate.
type limited struct {
	next http.RoundTripper
	lim  *rate.Limiter
}

func (l *limited) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := l.lim.Wait(r.Context()); err != nil {
		return nil, err
	}
	return l.next.RoundTrip(r)
}

// retrying retries a request Google throttles (429) or finds itself
// unavailable for (503), after Retry-After or a doubling backoff from
// 500 ms. Only requests without a body are retried: every read here is a
// GET, or a POST whose body the client can replay (GetBody).
type retrying struct {
	next http.RoundTripper
	// wait is time.After; tests replace it.
	wait func(time.Duration) <-chan time.Time
}

func (t *retrying) RoundTrip(r *http.Request) (*http.Response, error) {
	wait := t.wait
	if wait == nil {
		wait = time.After
	}
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(r)
		if err != nil || attempt == maxAttempts || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
			return resp, err
		}
		if r.Body != nil && r.GetBody == nil {
			return resp, nil
		}
		d := backoff
		if s, convErr := strconv.Atoi(resp.Header.Get("Retry-After")); convErr == nil && s >= 0 {
			d = time.Duration(s) * time.Second
		}
		backoff *= 2
		_ = resp.Body.Close()
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-wait(d):
		}
		if r.GetBody != nil {
			body, err := r.GetBody()
			if err != nil {
				return nil, err
			}
			r = r.Clone(r.Context())
			r.Body = body
		}
	}
}
