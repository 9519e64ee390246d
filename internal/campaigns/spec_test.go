package campaigns

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/executor"
	"github.com/lookout/lookout/internal/store"
)

func TestParseSpec(t *testing.T) {
	s, err := ParseSpec(`
name: fmt
on:
  - repositoriesMatchingQuery: lang:go errors.New(fmt.Sprintf
  - repository: github.com/acme/app
    branch: develop
steps:
  - run: gofmt -w .
    container: golang:1.22
    env: {GOFLAGS: -mod=mod}
  - run: echo done
    env:
      - A=1
      - B: "2"
timeLimit: 90s
outputLimit: 16MiB
changesetTemplate:
  title: Use fmt.Errorf
  branch: campaigns/fmt
  commit:
    message: Use fmt.Errorf
    author: {name: Jane, email: jane@example.com}
  published: draft
`)
	if err != nil {
		t.Fatal(err)
	}
	want := executor.Spec{
		Steps: []executor.Step{
			{Run: "gofmt -w .", Container: "golang:1.22", Env: map[string]string{"GOFLAGS": "-mod=mod"}},
			{Run: "echo done", Env: map[string]string{"A": "1", "B": "2"}},
		},
		TimeLimit: 90 * time.Second, OutputLimit: 16 << 20,
	}
	if diff := cmp.Diff(want, s.ExecutorSpec()); diff != "" {
		t.Fatalf("executor spec (-want +got):\n%s", diff)
	}
	if s.On[1].Branch != "develop" || s.ChangesetTemplate.Published != store.PublicationDraft || s.ChangesetTemplate.Commit.Author.Email != "jane@example.com" {
		t.Fatalf("spec %+v", s)
	}
}

func TestParseSpecErrors(t *testing.T) {
	for name, tc := range map[string]struct{ spec, want string }{
		"empty":           {"", "empty"},
		"no on":           {"steps: [{run: x}]", "on: must list"},
		"no steps":        {"on: [{repository: a}]", "steps: must list"},
		"unknown field":   {"on: [{repository: a}]\nsteps: [{run: x}]\nstep: []", "field step not found"},
		"both on kinds":   {"on: [{repository: a, repositoriesMatchingQuery: b}]\nsteps: [{run: x}]", "has both"},
		"empty run":       {"on: [{repository: a}]\nsteps: [{run: ' '}]", "run must not be empty"},
		"bad env":         {"on: [{repository: a}]\nsteps: [{run: x, env: {'1A': x}}]", "not a valid variable name"},
		"bad published":   {"on: [{repository: a}]\nsteps: [{run: x}]\nchangesetTemplate: {published: maybe}", "published must be"},
		"bad branch":      {"on: [{repository: a}]\nsteps: [{run: x}]\nchangesetTemplate: {branch: 'a..b'}", "not a valid branch name"},
		"bad duration":    {"on: [{repository: a}]\nsteps: [{run: x}]\ntimeLimit: soon", "not a duration"},
		"bad size":        {"on: [{repository: a}]\nsteps: [{run: x}]\noutputLimit: lots", "not a size"},
		"two documents":   {"on: [{repository: a}]\nsteps: [{run: x}]\n---\nfoo: 1", "more than one"},
		"branch on query": {"on: [{repositoriesMatchingQuery: a, branch: b}]\nsteps: [{run: x}]", "only allowed with repository"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSpec(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !IsSpecError(err) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "512KiB": 512 << 10, "16MiB": 16 << 20, "1GB": 1e9, "2K": 2048, "3kb": 3000, "7B": 7} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1TB", "MiB", "99999999999999999999"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) succeeded", bad)
		}
	}
}
