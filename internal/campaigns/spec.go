package campaigns

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lookout/lookout/internal/executor"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// Spec is a campaign spec: which repositories (on), what to run in each (steps), and
// what the resulting changesets look like (changesetTemplate).
//
//	name: use-fmt-errorf
//	description: Replace errors.New(fmt.Sprintf(...)) with fmt.Errorf(...)
//	on:
//	  - repositoriesMatchingQuery: lang:go errors.New(fmt.Sprintf
//	  - repository: github.com/acme/app
//	    branch: develop
//	steps:
//	  - run: sed -i 's/errors.New(fmt.Sprintf(/fmt.Errorf(/' $(git ls-files '*.go')
//	    env: {GOFLAGS: -mod=mod}
//	  - run: gofmt -w .
//	    container: golang:1.22
//	timeLimit: 10m
//	outputLimit: 16MiB
//	changesetTemplate:
//	  title: Use fmt.Errorf
//	  body: Found by a Lookout campaign.
//	  branch: campaigns/use-fmt-errorf
//	  commit:
//	    message: Use fmt.Errorf
//	    author: {name: Jane, email: jane@example.com}
//	  published: draft
type Spec struct {
	Name              string    `yaml:"name"`
	Description       string    `yaml:"description"`
	On                []OnEntry `yaml:"on"`
	Steps             []Step    `yaml:"steps"`
	TimeLimit         Duration  `yaml:"timeLimit"`
	OutputLimit       ByteSize  `yaml:"outputLimit"`
	ChangesetTemplate *Template `yaml:"changesetTemplate"`
}

// OnEntry selects repositories: those with results for a search query, or one repository
// by name, optionally on a branch other than its default.
type OnEntry struct {
	RepositoriesMatchingQuery string `yaml:"repositoriesMatchingQuery"`
	Repository                string `yaml:"repository"`
	Branch                    string `yaml:"branch"`
}

// Step is one shell script run in each repository's checkout.
type Step struct {
	Run       string `yaml:"run"`
	Container string `yaml:"container"`
	Env       EnvMap `yaml:"env"`
}

// Template shapes the changesets: pull request title and body, branch, commit and
// whether to publish.
type Template struct {
	Title     string      `yaml:"title"`
	Body      string      `yaml:"body"`
	Branch    string      `yaml:"branch"`
	Commit    Commit      `yaml:"commit"`
	Published Publication `yaml:"published"`
}

// Commit is the template's commit message and author.
type Commit struct {
	Message string  `yaml:"message"`
	Author  *Author `yaml:"author"`
}

// Author is a commit author.
type Author struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
}

// Publication is `published:` in a template: true, false or draft.
type Publication string

// UnmarshalYAML accepts true, false and "draft".
func (p *Publication) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: published must be true, false or draft", n.Line)
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes":
		*p = store.PublicationPublished
	case "false", "no":
		*p = store.PublicationUnpublished
	case "draft":
		*p = store.PublicationDraft
	default:
		return fmt.Errorf("line %d: published must be true, false or draft, not %q", n.Line, n.Value)
	}
	return nil
}

// EnvMap is a step's environment: a mapping, or a list of NAME=value strings or
// single-key mappings.
type EnvMap map[string]string

// UnmarshalYAML accepts both forms.
func (e *EnvMap) UnmarshalYAML(n *yaml.Node) error {
	out := EnvMap{}
	switch n.Kind {
	case yaml.MappingNode:
		var m map[string]string
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			out[k] = v
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			switch item.Kind {
			case yaml.ScalarNode:
				name, value, ok := strings.Cut(item.Value, "=")
				if !ok {
					return fmt.Errorf("line %d: env entry %q is not NAME=value", item.Line, item.Value)
				}
				out[name] = value
			case yaml.MappingNode:
				var m map[string]string
				if err := item.Decode(&m); err != nil {
					return err
				}
				for k, v := range m {
					out[k] = v
				}
			default:
				return fmt.Errorf("line %d: env entries are NAME=value strings or NAME: value mappings", item.Line)
			}
		}
	default:
		return fmt.Errorf("line %d: env must be a mapping or a list", n.Line)
	}
	*e = out
	return nil
}

// Duration is a duration written like 90s, 10m or 1h30m.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration like 90s, 10m or 1h", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// ByteSize is a size in bytes, written as a number or with a unit (KiB, MiB, GiB, KB,
// MB, GB).
type ByteSize int64

var sizeRE = regexp.MustCompile(`^\s*(\d+)\s*([KMG]I?B?|B)?\s*$`)

// UnmarshalYAML parses a size.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = ByteSize(v)
	return nil
}

// ParseByteSize parses "1048576", "512KiB", "16MiB", "1GB".
func ParseByteSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.ToUpper(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size like 1048576, 512KiB or 16MiB", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", s)
	}
	// KiB, MiB, GiB and bare K, M, G are powers of 1024; KB, MB, GB powers of 1000.
	mult := int64(1)
	if u := m[2]; u != "" && u != "B" {
		base := int64(1024)
		if strings.HasSuffix(u, "B") && !strings.Contains(u, "I") {
			base = 1000
		}
		for range strings.IndexByte("KMG", u[0]) + 1 {
			mult *= base
		}
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// Limits on specs.
const (
	MaxSpecBytes = 1 << 20
	MaxSteps     = 50
	MaxOnEntries = 1000
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// SpecError lists what is wrong with a spec. Each problem names the key at fault as a
// path (steps[1].env, changesetTemplate.branch) and, when the key is in the spec, the line
// it is on: "line 7: steps[1].run: must not be empty".
type SpecError struct{ Problems []string }

func (e *SpecError) Error() string {
	return "invalid campaign spec: " + strings.Join(e.Problems, "; ")
}

// ParseSpec reads and checks a YAML campaign spec. Unknown keys are errors, so a typo
// is not silently ignored.
func ParseSpec(raw string) (*Spec, error) {
	if len(raw) > MaxSpecBytes {
		return nil, &SpecError{Problems: []string{fmt.Sprintf("the spec is larger than %d bytes", MaxSpecBytes)}}
	}
	if strings.TrimSpace(raw) == "" {
		return nil, &SpecError{Problems: []string{"the spec is empty"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader([]byte(raw)))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		return nil, &SpecError{Problems: []string{strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &SpecError{Problems: []string{fmt.Sprintf("line %d: the spec holds more than one YAML document", extra.Line)}}
	}
	doc := specDoc{root: &root}
	if p := doc.unknownKeys(); len(p) > 0 {
		return nil, &SpecError{Problems: p}
	}
	var s Spec
	if err := root.Decode(&s); err != nil {
		return nil, &SpecError{Problems: doc.decodeProblems(err)}
	}
	if p := s.problems(doc); len(p) > 0 {
		return nil, &SpecError{Problems: p}
	}
	return &s, nil
}

func (s *Spec) problems(doc specDoc) []string {
	var p []string
	add := func(msg string, path ...any) { p = append(p, doc.at(path...)+msg) }
	if len(s.On) == 0 {
		add("must list at least one repositoriesMatchingQuery or repository", "on")
	}
	if len(s.On) > MaxOnEntries {
		add(fmt.Sprintf("has more than %d entries", MaxOnEntries), "on")
	}
	for i, o := range s.On {
		q, r := strings.TrimSpace(o.RepositoriesMatchingQuery), strings.TrimSpace(o.Repository)
		switch {
		case q == "" && r == "":
			add("needs repositoriesMatchingQuery or repository", "on", i)
		case q != "" && r != "":
			add("has both repositoriesMatchingQuery and repository; use one entry for each", "on", i)
		case len(q) > query.MaxQueryLength:
			add(fmt.Sprintf("repositoriesMatchingQuery is %d bytes; a query is at most %d bytes", len(q), query.MaxQueryLength), "on", i, "repositoriesMatchingQuery")
		}
		if o.Branch != "" {
			if o.Repository == "" {
				add("is only allowed with repository", "on", i, "branch")
			} else if err := vcs.CheckBranchName(o.Branch); err != nil {
				add(fmt.Sprintf("%q is not a valid branch name", o.Branch), "on", i, "branch")
			}
		}
	}
	if len(s.Steps) == 0 {
		add("must list at least one step", "steps")
	}
	if len(s.Steps) > MaxSteps {
		add(fmt.Sprintf("has more than %d steps", MaxSteps), "steps")
	}
	for i, st := range s.Steps {
		if strings.TrimSpace(st.Run) == "" {
			add("must not be empty", "steps", i, "run")
		}
		names := make([]string, 0, len(st.Env))
		for k := range st.Env {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if !envNameRE.MatchString(k) {
				add(fmt.Sprintf("%q is not a valid variable name", k), "steps", i, "env")
			}
		}
	}
	if s.OutputLimit < 0 {
		add("must not be negative", "outputLimit")
	}
	if t := s.ChangesetTemplate; t != nil {
		if t.Branch != "" {
			if err := vcs.CheckBranchName(t.Branch); err != nil {
				add(fmt.Sprintf("%q is not a valid branch name", t.Branch), "changesetTemplate", "branch")
			}
		}
		if a := t.Commit.Author; a != nil {
			if strings.TrimSpace(a.Name) == "" || strings.TrimSpace(a.Email) == "" || strings.ContainsAny(a.Name+a.Email, "<>\n") {
				add("needs a name and an email without <, > or newlines", "changesetTemplate", "commit", "author")
			}
		}
	}
	return p
}

// ExecutorSpec is what the executor runs in each repository.
func (s *Spec) ExecutorSpec() executor.Spec {
	steps := make([]executor.Step, len(s.Steps))
	for i, st := range s.Steps {
		steps[i] = executor.Step{Run: st.Run, Env: map[string]string(st.Env), Container: st.Container}
	}
	return executor.Spec{Steps: steps, TimeLimit: time.Duration(s.TimeLimit), OutputLimit: int64(s.OutputLimit)}
}

// TemplateOf returns the changeset template of a plan's spec (zero for a plan from patches,
// or a spec without one).
func TemplateOf(plan *store.CampaignPlan) Template {
	if plan == nil || plan.Source != store.PlanSourceSpec {
		return Template{}
	}
	s, err := ParseSpec(plan.Spec)
	if err != nil || s.ChangesetTemplate == nil {
		return Template{}
	}
	return *s.ChangesetTemplate
}

// IsSpecError reports whether err is a problem with a spec (bad input).
func IsSpecError(err error) bool {
	var se *SpecError
	return errors.As(err, &se)
}
