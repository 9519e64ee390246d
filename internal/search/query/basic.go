package query

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// resolved holds the typed values of a Basic query's filters.
type resolved struct {
	types                      []ResultType
	repos                      []RepoFilter
	excludeRepos               []*regexp.Regexp
	files, excludeFiles        []*regexp.Regexp
	langs, excludeLangs        []string
	authors, excludeAuthors    []*regexp.Regexp
	committers, excludeCommits []*regexp.Regexp
	messages, excludeMessages  []*regexp.Regexp
	caseSensitive              bool
	fork, archived             YesNoOnly // "" when not given
	visibility                 Visibility
	count                      int // 0: not given
	countAll                   bool
	timeout                    time.Duration // 0: not given
	sel                        SelectPath
	context                    string
	before, after              time.Time // zero: not given
}

// resolve checks the filters of a Basic query against each other and computes their
// typed values. Values were normalised (and so checked) before.
func resolve(params []Parameter, opts *Options, cache reCache) (*resolved, error) {
	r := &resolved{visibility: VisibilityAny, types: defaultTypes}
	single := map[string]*Parameter{}
	for i := range params {
		p := &params[i]
		if !fieldSpecs[p.Field].single {
			continue
		}
		if prev, ok := single[p.Field]; ok && prev.Value != p.Value {
			return nil, errorf(p.Pos, p.Token, "%s: may appear only once (already %s:%s)", p.Field, p.Field, formatValue(p.Field, prev.Value))
		}
		single[p.Field] = p
	}
	if p := single[FieldCase]; p != nil {
		r.caseSensitive = p.Value == "yes"
	}
	if p := single[FieldType]; p != nil {
		r.types = []ResultType{ResultType(p.Value)}
	}
	compile := func(p *Parameter, src string, caseSensitive bool) (*regexp.Regexp, error) {
		if !caseSensitive {
			src = "(?i)" + src
		}
		re, err := cache.compile(src)
		if err != nil {
			return nil, errorf(p.Pos, p.Token, "invalid regular expression %s: %v", quote(p.Value), err)
		}
		return re, nil
	}
	for i := range params {
		p := &params[i]
		var err error
		var re *regexp.Regexp
		switch p.Field {
		case FieldRepo:
			src, revs, msg := parseRepoValue(p.Value, opts.Now)
			if msg != "" {
				return nil, errorf(p.Pos, p.Token, "%s", msg)
			}
			// Repository names are case-insensitive on code hosts.
			if re, err = compile(p, src, false); err != nil {
				return nil, err
			}
			if p.Negated {
				if revs != nil {
					return nil, errorf(p.Pos, p.Token, "a negated repo: filter cannot name revisions")
				}
				r.excludeRepos = append(r.excludeRepos, re)
			} else {
				r.repos = append(r.repos, RepoFilter{Pattern: src, Regexp: re, Revs: revs})
			}
		case FieldFile, FieldAuthor, FieldCommitter, FieldMessage:
			if re, err = compile(p, p.Value, r.caseSensitive); err != nil {
				return nil, err
			}
			include, exclude := r.regexps(p.Field)
			if p.Negated {
				*exclude = append(*exclude, re)
			} else {
				*include = append(*include, re)
			}
		case FieldLang:
			if p.Negated {
				r.excludeLangs = appendNew(r.excludeLangs, p.Value)
			} else {
				r.langs = appendNew(r.langs, p.Value)
			}
		case FieldFork:
			r.fork = YesNoOnly(p.Value)
		case FieldArchived:
			r.archived = YesNoOnly(p.Value)
		case FieldVisibility:
			r.visibility = Visibility(p.Value)
		case FieldCount:
			if p.Value == "all" {
				r.countAll = true
			} else {
				r.count, _ = strconv.Atoi(p.Value)
			}
		case FieldTimeout:
			r.timeout, _ = time.ParseDuration(p.Value)
		case FieldSelect:
			r.sel = SelectPath(p.Value)
		case FieldContext:
			r.context = p.Value
		case FieldBefore, FieldAfter:
			t, msg := parseDate(p.Value, opts.Now)
			if msg != "" {
				return nil, errorf(p.Pos, p.Token, "%s", msg)
			}
			if p.Field == FieldBefore {
				r.before = t
			} else {
				r.after = t
			}
		}
	}
	if err := r.check(single, params, opts.Now); err != nil {
		return nil, err
	}
	return r, nil
}

// check applies the rules that tie filters together.
func (r *resolved) check(single map[string]*Parameter, params []Parameter, now time.Time) error {
	if p := single[FieldRev]; p != nil {
		if len(r.repos) == 0 {
			return errorf(p.Pos, p.Token, "rev: needs a repo: filter")
		}
		revs, _ := parseRevs(p.Value, now)
		for i := range r.repos {
			if r.repos[i].Revs != nil {
				return errorf(p.Pos, p.Token, "rev: cannot be combined with repo:...@revisions")
			}
			r.repos[i].Revs = revs
		}
	}
	if p := single[FieldSelect]; p != nil {
		want := selectTypes[r.sel]
		ok := want == nil
		for _, t := range r.types {
			ok = ok || slices.Contains(want, t)
		}
		if !ok {
			return errorf(p.Pos, p.Token, "select:%s needs %s", r.sel, typeList(want))
		}
	}
	commitOnly := !slices.ContainsFunc(r.types, func(t ResultType) bool { return t != TypeCommit && t != TypeDiff })
	for i := range params {
		p := &params[i]
		if fieldSpecs[p.Field].commitOnly && !commitOnly {
			return errorf(p.Pos, p.Token, "%s: needs type:commit or type:diff", p.Field)
		}
	}
	if !r.before.IsZero() && !r.after.IsZero() && r.after.After(r.before) {
		p := single[FieldAfter]
		return errorf(p.Pos, p.Token, "after: is later than before:, so nothing can match")
	}
	return nil
}

// reCache shares compiled filter regexps between the Basic queries of a plan, which
// repeat the same filters after distribution. A nil cache compiles every time.
type reCache map[string]*regexp.Regexp

func (c reCache) compile(src string) (*regexp.Regexp, error) {
	if re, ok := c[src]; ok {
		return re, nil
	}
	re, err := regexp.Compile(src)
	if err == nil && c != nil {
		c[src] = re
	}
	return re, err
}

func typeList(types []ResultType) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = "type:" + string(t)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func (r *resolved) regexps(field string) (include, exclude *[]*regexp.Regexp) {
	switch field {
	case FieldFile:
		return &r.files, &r.excludeFiles
	case FieldAuthor:
		return &r.authors, &r.excludeAuthors
	case FieldCommitter:
		return &r.committers, &r.excludeCommits
	default:
		return &r.messages, &r.excludeMessages
	}
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// res returns the typed values; a Basic made outside this package has none and gets
// the defaults.
func (b Basic) res() *resolved {
	if b.r == nil {
		return &resolved{visibility: VisibilityAny, types: defaultTypes}
	}
	return b.r
}

// Types returns the result types to search: the type: filter, or defaultTypes.
func (b Basic) Types() []ResultType { return slices.Clone(b.res().types) }

// Filters returns the filters of a field (canonical name or alias), negated or not,
// in order.
func (b Basic) Filters(field string) []Parameter {
	f, _ := CanonicalField(field)
	var out []Parameter
	for _, p := range b.Params {
		if p.Field == f {
			out = append(out, p)
		}
	}
	return out
}

// IsCommitOrDiff reports whether the query searches only commits or diffs.
func (b Basic) IsCommitOrDiff() bool {
	for _, t := range b.res().types {
		if t != TypeCommit && t != TypeDiff {
			return false
		}
	}
	return true
}

// Repos returns the repo: filters a repository must all match, with the revisions to
// search (rev: applied), and the -repo: regexps it must match none of. All are
// case-insensitive.
func (b Basic) Repos() (include []RepoFilter, exclude []*regexp.Regexp) {
	r := b.res()
	for _, f := range r.repos {
		f.Revs = slices.Clone(f.Revs)
		include = append(include, f)
	}
	return include, slices.Clone(r.excludeRepos)
}

// Files returns the file: regexps a path must all match and the -file: ones it must
// match none of (case-insensitive unless case:yes).
func (b Basic) Files() (include, exclude []*regexp.Regexp) {
	return slices.Clone(b.res().files), slices.Clone(b.res().excludeFiles)
}

// Languages returns the linguist names of lang: and -lang:.
func (b Basic) Languages() (include, exclude []string) {
	return slices.Clone(b.res().langs), slices.Clone(b.res().excludeLangs)
}

// Authors returns the author: and -author: regexps.
func (b Basic) Authors() (include, exclude []*regexp.Regexp) {
	return slices.Clone(b.res().authors), slices.Clone(b.res().excludeAuthors)
}

// Committers returns the committer: and -committer: regexps.
func (b Basic) Committers() (include, exclude []*regexp.Regexp) {
	return slices.Clone(b.res().committers), slices.Clone(b.res().excludeCommits)
}

// Messages returns the message: and -message: regexps.
func (b Basic) Messages() (include, exclude []*regexp.Regexp) {
	return slices.Clone(b.res().messages), slices.Clone(b.res().excludeMessages)
}

// CaseSensitive reports case:yes.
func (b Basic) CaseSensitive() bool { return b.res().caseSensitive }

// Fork returns fork:'s value, and false without one (the executor's default applies:
// Sourcegraph leaves forks out unless a repo: filter names them).
func (b Basic) Fork() (YesNoOnly, bool) { return b.res().fork, b.res().fork != "" }

// Archived returns archived:'s value, and false without one.
func (b Basic) Archived() (YesNoOnly, bool) { return b.res().archived, b.res().archived != "" }

// Visibility returns visibility:'s value, VisibilityAny by default.
func (b Basic) Visibility() Visibility { return b.res().visibility }

// Limit returns the result limit: count:N gives N, count:all unlimited, no count:
// DefaultLimit.
func (b Basic) Limit() (n int, unlimited bool) {
	r := b.res()
	switch {
	case r.countAll:
		return 0, true
	case r.count > 0:
		return r.count, false
	}
	return DefaultLimit, false
}

// Timeout returns timeout:'s value, DefaultTimeout by default.
func (b Basic) Timeout() time.Duration {
	if t := b.res().timeout; t > 0 {
		return t
	}
	return DefaultTimeout
}

// Select returns select:'s value, "" without one.
func (b Basic) Select() SelectPath { return b.res().sel }

// Context returns the search context's name, "" without one or for global.
func (b Basic) Context() string {
	if c := b.res().context; c != "global" {
		return c
	}
	return ""
}

// Before returns before:'s time, and false without one.
func (b Basic) Before() (time.Time, bool) { return b.res().before, !b.res().before.IsZero() }

// After returns after:'s time, and false without one.
func (b Basic) After() (time.Time, bool) { return b.res().after, !b.res().after.IsZero() }
