package gcpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"
)

// Refusal is why Google refused a read, when it did.
type Refusal int

const (
	// NotRefused: the read failed otherwise (network, 5xx, a bad answer).
	NotRefused Refusal = iota
	// PermissionDenied: the credentials lack a permission.
	PermissionDenied
	// APIDisabled: the API is not enabled in the project.
	APIDisabled
	// NotFound: the project or the resource does not exist (or is hidden
	// from the credentials).
	NotFound
)

// Classify says whether err is Google refusing a read, and how.
func Classify(err error) Refusal {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return NotRefused
	}
	status, reasons := details(gerr)
	for _, r := range reasons {
		if r == "SERVICE_DISABLED" || r == "accessNotConfigured" {
			return APIDisabled
		}
	}
	switch {
	case gerr.Code == http.StatusNotFound:
		return NotFound
	case gerr.Code == http.StatusForbidden || status == "PERMISSION_DENIED":
		return PermissionDenied
	}
	return NotRefused
}

// details reads the status and the reasons of an error body
// ({"error":{"status","errors":[{"reason"}],"details":[{"reason"}]}}).
func details(gerr *googleapi.Error) (status string, reasons []string) {
	for _, e := range gerr.Errors {
		reasons = append(reasons, e.Reason)
	}
	var body struct {
		Error struct {
			Status  string `json:"status"`
			Details []struct {
				Reason string `json:"reason"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(gerr.Body), &body) == nil {
		status = body.Error.Status
		for _, d := range body.Error.Details {
			if d.Reason != "" {
				reasons = append(reasons, d.Reason)
			}
		}
	}
	return status, reasons
}

// ReadError is a failed read: the API and the call, and, when Google
// refused it, what to grant or enable.
func ReadError(api, call string, permissions []string, err error) error {
	var hint string
	switch Classify(err) {
	case PermissionDenied:
		hint = "permission denied (needs " + strings.Join(permissions, ", ") + "): "
	case APIDisabled:
		hint = "the " + api + " API is not enabled in the project (gcloud services enable " + api + ".googleapis.com): "
	}
	return fmt.Errorf("%s %s: %s%w", api, call, hint, err)
}
