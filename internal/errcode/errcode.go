// Package errcode gives errors a stable code that API clients act on. The GraphQL layer
// puts the code into `extensions.code`; background jobs use it to decide retryability.
package errcode

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Codes used across Lookout. Area-specific codes from the systems Lookout follows
// (InvalidQuery, RepoLimitExceeded, ...) are defined next to the code that raises them.
const (
	Unauthenticated = "UNAUTHENTICATED"
	Forbidden       = "FORBIDDEN"
	NotFound        = "NOT_FOUND"
	BadInput        = "BAD_USER_INPUT"
	AlreadyExists   = "ALREADY_EXISTS"
	Conflict        = "CONFLICT"
	// FailedPrecondition: the server is not set up for the request (a missing key).
	FailedPrecondition = "FAILED_PRECONDITION"
	RateLimited        = "RATE_LIMITED"
	Internal           = "INTERNAL_SERVER_ERROR"
)

// Error is an error with a code.
type Error struct {
	Code    string
	Message string
	Err     error // optional cause, not shown to clients
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Extensions is what graphql-go copies into the error's `extensions`.
func (e *Error) Extensions() map[string]any { return map[string]any{"code": e.Code} }

// New returns an error with code and a formatted message.
func New(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap gives err a code, keeping its message.
func Wrap(code string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Message: err.Error(), Err: err}
}

// Code returns the code of the first coded error in err's chain, or "" when there is none.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Is reports whether err carries code.
func Is(err error, code string) bool { return err != nil && Code(err) == code }

// WriteHTTP writes a GraphQL-shaped error response ({"errors":[{message, extensions.code}]})
// for failures that happen before a GraphQL request runs (authentication, malformed bodies),
// so clients parse every error the same way.
func WriteHTTP(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
