package codehost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Errors returned by this package wrap them (test with errors.Is), so a
// caller can answer a user or decide whether a job should be retried.
var (
	// ErrUnsupported: the code host (or its API) cannot do what was asked, such as
	// listing permissions of a plain git remote or drafting on Bitbucket Server.
	ErrUnsupported = errors.New("not supported by this code host")
	// ErrNotFound: the repository or pull request does not exist, or the token cannot see it.
	ErrNotFound = errors.New("not found on the code host")
	// ErrUnauthorized: the code host rejected the token (HTTP 401).
	ErrUnauthorized = errors.New("the code host rejected the token")
	// ErrForbidden: the token is valid but lacks a permission or scope (HTTP 403).
	ErrForbidden = errors.New("the token lacks permission on the code host")
	// ErrUnknownEvent: a webhook delivery of an event Lookout does not act on; the
	// webhook endpoint answers 204.
	ErrUnknownEvent = errors.New("webhook event not handled")
	// ErrNoSecret: the connection has no webhook secret, so no delivery can be verified.
	ErrNoSecret = errors.New("no webhook secret is configured for this connection")
	// ErrBadSignature: a webhook delivery's signature or token is missing or wrong.
	ErrBadSignature = errors.New("webhook signature or token is missing or does not match")
	// ErrInvalidArgument: a caller passed something unusable (a repository without a
	// path, a pull request ID that is not a number); retrying cannot help.
	ErrInvalidArgument = errors.New("invalid argument")
)

// RateLimitError is returned when a code host answers that the rate limit is exceeded
// (GitHub 403/429 with X-RateLimit-Remaining: 0 or Retry-After, or any host's 429).
// Callers should wait RetryAfter before the next request to that host.
type RateLimitError struct {
	Kind       Kind
	RetryAfter time.Duration
	Message    string // the host's own message, if it sent one
}

func (e *RateLimitError) Error() string {
	msg := fmt.Sprintf("%s rate limit exceeded, retry after %s", e.Kind, e.RetryAfter.Round(time.Second))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// APIError is an unexpected answer of a code host's API. It matches [ErrUnauthorized],
// [ErrForbidden] and [ErrNotFound] by status code.
type APIError struct {
	Kind       Kind
	Method     string
	URL        string // without query string
	StatusCode int
	Message    string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s API: %s %s: HTTP %d", e.Kind, e.Method, e.URL, e.StatusCode)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is maps status codes to the sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

// Retryable reports whether an operation that failed with err may succeed if tried again
// later: rate limits, server errors and network failures are retryable; bad credentials,
// missing repositories, validation errors (4xx), invalid configs or arguments and
// unsupported operations are not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return true
	}
	var cfgErr *ConfigError
	if errors.Is(err, ErrUnsupported) || errors.Is(err, ErrInvalidArgument) || errors.Is(err, context.Canceled) || errors.As(err, &cfgErr) {
		return false
	}
	var api *APIError
	if errors.As(err, &api) {
		return api.StatusCode >= 500 || api.StatusCode == http.StatusRequestTimeout
	}
	if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound) {
		return false
	}
	return true
}

// defaultRetryAfter is used when a host says "rate limited" without saying for how long.
const defaultRetryAfter = time.Minute

// rateLimitFromResponse recognises a rate-limit answer of any host: 429, or a 403 with
// GitHub's exhausted-quota or secondary-limit headers.
func rateLimitFromResponse(kind Kind, resp *http.Response, message string) *RateLimitError {
	if resp == nil {
		return nil
	}
	h := resp.Header
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
	case http.StatusForbidden:
		if h.Get("X-RateLimit-Remaining") != "0" && h.Get("Retry-After") == "" {
			return nil
		}
	default:
		return nil
	}
	return &RateLimitError{Kind: kind, RetryAfter: retryAfter(h, time.Now()), Message: message}
}

// retryAfter reads how long to wait from Retry-After (seconds or an HTTP date), else from
// a reset time in epoch seconds (GitHub X-RateLimit-Reset, GitLab RateLimit-Reset).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return atLeastOneSecond(time.Duration(secs) * time.Second)
		}
		if t, err := http.ParseTime(v); err == nil {
			return atLeastOneSecond(t.Sub(now))
		}
	}
	for _, name := range []string{"X-RateLimit-Reset", "RateLimit-Reset"} {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			if epoch, err := strconv.ParseInt(v, 10, 64); err == nil && epoch > 0 {
				return atLeastOneSecond(time.Unix(epoch, 0).Sub(now))
			}
		}
	}
	return defaultRetryAfter
}

func atLeastOneSecond(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return d
}

// urlWithoutQuery keeps error messages free of tokens passed as parameters.
func urlWithoutQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
