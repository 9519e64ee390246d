package notify

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// StatusError is a webhook or Slack response outside 2xx.
type StatusError struct {
	StatusCode int
	Status     string // e.g. "404 Not Found"
	// Body is the start of the response body, cut to a few hundred bytes and cleaned of
	// control characters, to show the receiver's reason.
	Body string
	// RetryAfter is the delay the response's Retry-After header asks for, if any.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := "HTTP " + e.Status
	if e.Status == "" {
		msg = "HTTP " + strconv.Itoa(e.StatusCode)
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Permanent reports whether retrying cannot help: a client error other than 408 (request
// timeout) and 429 (too many requests).
func (e *StatusError) Permanent() bool {
	return e.StatusCode >= 400 && e.StatusCode < 500 &&
		e.StatusCode != http.StatusRequestTimeout && e.StatusCode != http.StatusTooManyRequests
}

// IsPermanent reports whether err is a failure that no retry can fix, so the action job
// should fail at once: an invalid notification, URL, recipient or delivery ID, a forbidden
// address, email not configured, a 4xx response other than 408/429, or an SMTP 5xx reply.
// Network errors, timeouts, 5xx and 408/429 responses and SMTP 4xx replies are temporary.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	for _, sentinel := range []error{
		ErrInvalidNotification, ErrInvalidDeliveryID, ErrInvalidURL, ErrForbiddenAddress,
		ErrInvalidSlackURL, ErrEmailNotConfigured, ErrInvalidRecipient, ErrInsecureSMTP,
	} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Permanent()
	}
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return pe.Code >= 500
	}
	return false
}

const maxErrorBody = 512

// bodyExcerpt turns the start of a response body into a short single-line string safe to
// store in a job's failure message.
func bodyExcerpt(b []byte) string {
	if len(b) > maxErrorBody {
		b = b[:maxErrorBody]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	s := strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError:
			return '?'
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	if len(b) == maxErrorBody {
		s += " ..."
	}
	return s
}

// redactURL keeps the scheme and host of a URL for error messages: webhook paths often
// hold secrets (a Slack incoming webhook URL is its own credential), and errors end up in
// job rows that the API shows.
func redactURL(u *url.URL) string {
	if u == nil {
		return "<nil>"
	}
	s := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		s += "/..."
	}
	return s
}

func redactRawURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<invalid URL>"
	}
	return redactURL(u)
}

// stripURLError removes the *url.Error layer (which repeats the full URL) from an HTTP
// client error, keeping what it wraps.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
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

func wrapf(err error, format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}
