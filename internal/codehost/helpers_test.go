package codehost_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/codehost"
)

func mustConfig(t *testing.T, kind codehost.Kind, cfg map[string]any) codehost.Config {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codehost.ParseConfig(kind, raw)
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	return c
}

type client interface {
	codehost.Source
	codehost.ChangesetSource
}

func newClient(t *testing.T, kind codehost.Kind, cfg map[string]any) client {
	t.Helper()
	c := mustConfig(t, kind, cfg)
	hc := &http.Client{Timeout: 10 * time.Second}
	src, err := codehost.NewSource(kind, c, hc)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := codehost.NewChangesetSource(kind, c, hc)
	if err != nil {
		t.Fatal(err)
	}
	return struct {
		codehost.Source
		codehost.ChangesetSource
	}{src, cs}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func names(repos []codehost.Repo) []string {
	out := make([]string, len(repos))
	for i, r := range repos {
		out[i] = r.Name
	}
	return out
}

func countRequests(reqs []string, prefix string) int {
	n := 0
	for _, r := range reqs {
		if len(r) >= len(prefix) && r[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}
