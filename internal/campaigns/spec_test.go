package campaigns

import (
	"os"
	"reflect"
	"regexp"
	"sort"
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
		"empty":           {"", "the spec is empty"},
		"not a mapping":   {"- on", "line 1: the spec must be a mapping of keys"},
		"no on":           {"steps: [{run: x}]", "on: must list at least one"},
		"no steps":        {"on: [{repository: a}]", "steps: must list at least one step"},
		"unknown key":     {"on: [{repository: a}]\nsteps: [{run: x}]\nstep: []", "line 3: step: unknown key (the keys here are changesetTemplate, description, name, on, outputLimit, steps, timeLimit)"},
		"nested unknown":  {"on: [{repository: a}]\nsteps:\n  - run: x\n    image: alpine", "line 4: steps[0].image: unknown key (the keys here are container, env, run)"},
		"template typo":   {"on: [{repository: a}]\nsteps: [{run: x}]\nchangesetTemplate:\n  titel: x", "line 4: changesetTemplate.titel: unknown key"},
		"both on kinds":   {"on:\n  - repository: a\n    repositoriesMatchingQuery: b\nsteps: [{run: x}]", "line 2: on[0]: has both"},
		"empty run":       {"on: [{repository: a}]\nsteps:\n  - run: x\n  - run: ' '", "line 4: steps[1].run: must not be empty"},
		"bad env":         {"on: [{repository: a}]\nsteps:\n  - run: x\n    env: {'1A': x}", `line 4: steps[0].env: "1A" is not a valid variable name`},
		"bad published":   {"on: [{repository: a}]\nsteps: [{run: x}]\nchangesetTemplate:\n  published: maybe", `line 4: changesetTemplate.published: published must be true, false or draft, not "maybe"`},
		"bad branch":      {"on: [{repository: a}]\nsteps: [{run: x}]\nchangesetTemplate: {branch: 'a..b'}", `line 3: changesetTemplate.branch: "a..b" is not a valid branch name`},
		"bad duration":    {"on: [{repository: a}]\nsteps: [{run: x}]\ntimeLimit: soon", `line 3: timeLimit: "soon" is not a duration`},
		"bad size":        {"on: [{repository: a}]\nsteps: [{run: x}]\noutputLimit: lots", `line 3: outputLimit: "lots" is not a size`},
		"wrong type":      {"on: [{repository: a}]\nsteps:\n  - run: [a, b]", "line 3: steps[0].run: cannot unmarshal !!seq into string"},
		"two documents":   {"on: [{repository: a}]\nsteps: [{run: x}]\n---\nfoo: 1", "line 3: the spec holds more than one YAML document"},
		"branch on query": {"on:\n  - repositoriesMatchingQuery: a\n    branch: b\nsteps: [{run: x}]", "line 3: on[0].branch: is only allowed with repository"},
		"bad author":      {"on: [{repository: a}]\nsteps: [{run: x}]\nchangesetTemplate:\n  commit:\n    author: {name: Jane}", "line 5: changesetTemplate.commit.author: needs a name and an email"},
		"syntax":          {"on: [{repository: a}\nsteps: x", "line 1: did not find expected"},
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

// TestSpecReferenceDocumentsEveryKey keeps docs/campaign-spec.md true: its key table lists
// exactly the keys a spec has, and its examples are valid (the fragments once completed
// with on: and steps:).
func TestSpecReferenceDocumentsEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../../docs/campaign-spec.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-zA-Z.\\[\\]]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, m[1])
	}
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		for i := 0; i < t.NumField(); i++ {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			key := prefix + tag
			keys = append(keys, key)
			ft := t.Field(i).Type
			if ft.Kind() == reflect.Slice {
				key += "[]"
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft, key+".")
			}
		}
	}
	walk(reflect.TypeOf(Spec{}), "")
	sort.Strings(keys)
	sort.Strings(documented)
	if diff := cmp.Diff(keys, documented); diff != "" {
		t.Errorf("spec keys (-) vs the reference's table (+):\n%s", diff)
	}

	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 5 {
		t.Fatalf("%d examples", len(blocks))
	}
	for i, b := range blocks {
		spec := b[1]
		if !strings.Contains(spec, "\non:") && !strings.HasPrefix(spec, "on:") {
			spec += "on: [{repository: github.com/acme/app}]\n"
		}
		if !strings.Contains(spec, "steps:") {
			spec += "steps: [{run: 'true', container: alpine}]\n"
		}
		if _, err := ParseSpec(spec); err != nil {
			t.Errorf("example %d: %v\n%s", i, err, spec)
		}
	}
}
