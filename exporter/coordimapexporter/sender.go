package coordimapexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// apiResponse is the Coordimap API's answer.
type apiResponse struct {
	Status struct {
		HTTPCode  int    `json:"http_code"`
		Message   string `json:"message"`
		ErrorCode string `json:"error_code"`
	} `json:"status"`
}

// sender posts request bodies to the Coordimap API.
type sender struct {
	client    *http.Client
	endpoint  string
	apiKey    string
	userAgent string
}

// send posts one body. It returns nil only for HTTP 200 with
// status.http_code 200; 429 and 503 are throttled retries (Retry-After
// honoured), other 5xx, transport errors and a 200 whose body is not the
// API's JSON (a proxy's page) are retried, and everything else is
// permanent.
func (s *sender) send(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		return consumererror.NewPermanent(fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Api-Key", s.apiKey)
	req.Header.Set("User-Agent", s.userAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", s.endpoint, err)
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	_, _ = io.Copy(io.Discard, resp.Body)

	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("post to %s: HTTP %d: %s", s.endpoint, resp.StatusCode, snippet(raw))
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
			return exporterhelper.NewThrottleRetry(err, retryAfter(resp.Header.Get("Retry-After")))
		case resp.StatusCode >= 500:
			return err
		default:
			return consumererror.NewPermanent(err)
		}
	}
	if readErr != nil {
		return fmt.Errorf("post to %s: read response: %w", s.endpoint, readErr)
	}
	var ar apiResponse
	if err := json.Unmarshal(raw, &ar); err != nil {
		// A proxy or captive portal between us and the API answers 200
		// with its own page: the API never saw the batch, so retry.
		return fmt.Errorf("post to %s: response is not the API's JSON (a proxy in between?): %w: %s", s.endpoint, err, snippet(raw))
	}
	if ar.Status.HTTPCode != http.StatusOK {
		err := fmt.Errorf("post to %s: API status %d %s: %s", s.endpoint, ar.Status.HTTPCode, ar.Status.ErrorCode, ar.Status.Message)
		if ar.Status.HTTPCode == http.StatusTooManyRequests || ar.Status.HTTPCode >= 500 {
			return err
		}
		return consumererror.NewPermanent(err)
	}
	return nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func snippet(b []byte) string {
	const max = 256
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
