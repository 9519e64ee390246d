package codehost_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
)

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&codehost.RateLimitError{Kind: codehost.KindGitHub, RetryAfter: time.Minute}, true},
		{fmt.Errorf("listing: %w", &codehost.APIError{StatusCode: http.StatusBadGateway}), true},
		{&codehost.APIError{StatusCode: http.StatusUnauthorized}, false},
		{&codehost.APIError{StatusCode: http.StatusNotFound}, false},
		{&codehost.APIError{StatusCode: http.StatusUnprocessableEntity}, false},
		{fmt.Errorf("x: %w", codehost.ErrUnsupported), false},
		{fmt.Errorf("x: %w", codehost.ErrInvalidArgument), false},
		{&codehost.ConfigError{Kind: codehost.KindGit, Problems: []string{"p"}}, false},
		{context.Canceled, false},
		{errors.New("connection reset by peer"), true},
	} {
		if got := codehost.Retryable(tc.err); got != tc.want {
			t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	api := &codehost.APIError{StatusCode: http.StatusForbidden}
	if !errors.Is(api, codehost.ErrForbidden) || errors.Is(api, codehost.ErrNotFound) {
		t.Error("APIError should match by status code")
	}
}

func TestInvalidArguments(t *testing.T) {
	gh := fakehost.NewGitHub(t)
	c := newClient(t, codehost.KindGitHub, map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "orgs": []string{"x"}})
	for _, tc := range []struct {
		repo codehost.Repo
		id   string
	}{
		{codehost.Repo{Path: "acme/app"}, "not-a-number"},
		{codehost.Repo{Name: "no-path"}, "1"},
		{codehost.Repo{Path: "too/many/parts"}, "1"},
	} {
		_, err := c.LoadChangeset(ctx(t), tc.repo, tc.id)
		if !errors.Is(err, codehost.ErrInvalidArgument) || codehost.Retryable(err) {
			t.Errorf("LoadChangeset(%+v, %q) = %v, want ErrInvalidArgument", tc.repo, tc.id, err)
		}
	}
	if len(gh.Requests()) != 0 {
		t.Errorf("invalid arguments reached the host: %v", gh.Requests())
	}
}
