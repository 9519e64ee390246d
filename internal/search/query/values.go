package query

import (
	"fmt"
	"path"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
)

// ResultType is what a search returns: type:file|path|repo|commit|diff|symbol.
type ResultType string

const (
	TypeFile   ResultType = "file"   // file content matches
	TypePath   ResultType = "path"   // file path matches
	TypeRepo   ResultType = "repo"   // repository name matches
	TypeCommit ResultType = "commit" // commit (message, author, ...) matches
	TypeDiff   ResultType = "diff"   // matches in the diff of commits
	TypeSymbol ResultType = "symbol" // symbol definitions
)

// defaultTypes are searched when a query has no type: filter: file contents and
// paths.
var defaultTypes = []ResultType{TypeFile, TypePath}

// YesNoOnly is the value of fork: and archived:.
type YesNoOnly string

const (
	Yes  YesNoOnly = "yes"  // include them
	No   YesNoOnly = "no"   // exclude them
	Only YesNoOnly = "only" // only them
)

// Visibility is the value of visibility:.
type Visibility string

const (
	VisibilityAny     Visibility = "any"
	VisibilityPublic  Visibility = "public"
	VisibilityPrivate Visibility = "private"
)

// SelectPath is the value of select:, which turns results into a coarser kind.
type SelectPath string

const (
	SelectRepo              SelectPath = "repo"
	SelectFile              SelectPath = "file"
	SelectFileDirectory     SelectPath = "file.directory"
	SelectContent           SelectPath = "content"
	SelectCommit            SelectPath = "commit"
	SelectCommitDiffAdded   SelectPath = "commit.diff.added"
	SelectCommitDiffRemoved SelectPath = "commit.diff.removed"
)

// selectTypes lists, for each select path, the result types it applies to; nil
// means every type.
var selectTypes = map[SelectPath][]ResultType{
	SelectRepo:              nil,
	SelectFile:              {TypeFile, TypePath, TypeSymbol},
	SelectFileDirectory:     {TypeFile, TypePath, TypeSymbol},
	SelectContent:           {TypeFile},
	SelectCommit:            {TypeCommit, TypeDiff},
	SelectCommitDiffAdded:   {TypeDiff},
	SelectCommitDiffRemoved: {TypeDiff},
}

// Limits.
const (
	// DefaultLimit is the result limit of a query without count:.
	DefaultLimit = 500
	// MaxCount is the largest count:N; count:all lifts the limit.
	MaxCount = 100000
	// DefaultTimeout is the timeout of a query without timeout:.
	DefaultTimeout = 20 * time.Second
	// DefaultMaxTimeout bounds timeout: unless Options.MaxTimeout says otherwise.
	DefaultMaxTimeout = 5 * time.Minute
)

// RevSpec is one revision of a repo:x@rev1:rev2 or rev: filter.
type RevSpec struct {
	// Rev is a revision as git understands it (branch, tag, commit, HEAD~2); empty
	// when RefGlob is set.
	Rev string
	// RefGlob is a glob over ref names, written *refs/heads/* (all branches).
	RefGlob string
	// Exclude marks revisions to leave out: ^rev (commits reachable from rev) or
	// *!glob (refs matching glob).
	Exclude bool
	// AtTime, when set (at.time(TIME[, REV])), names the newest commit reachable from
	// Rev (the default branch when empty) committed at or before it: a search of the
	// code as it was then. It is the only revision of its filter.
	AtTime time.Time
}

// RepoFilter is a repo: filter that repositories must match, with the revisions to
// search in them (none: the default branch).
type RepoFilter struct {
	Pattern string         // the regexp as written
	Regexp  *regexp.Regexp // compiled, case-insensitive
	Revs    []RevSpec
}

// contextName is what a context: name may hold: global, name or @owner/name.
var contextName = regexp.MustCompile(`^@?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$`)

// predicate matches Sourcegraph's repo:has.file(...)-style predicates, which Lookout
// does not run. A real regexp never starts this way followed by a '('.
var predicate = regexp.MustCompile(`^-?(has|contains)(\.[a-z]+)*\(`)

// normalizeValue checks a filter value that does not depend on other filters and
// returns it in canonical form, or an error message.
func normalizeValue(field, v string, opts *Options) (string, string) {
	switch field {
	case FieldRepo:
		if predicate.MatchString(v) {
			return "", "repo:" + v[:strings.IndexByte(v, '(')] + "(...) predicates are not supported"
		}
		_, _, msg := parseRepoValue(v, opts.Now)
		return v, msg
	case FieldRev:
		_, msg := parseRevs(v, opts.Now)
		return v, msg
	case FieldFile:
		if predicate.MatchString(v) {
			return "", "file:" + v[:strings.IndexByte(v, '(')] + "(...) predicates are not supported"
		}
		return v, checkRegexp(v)
	case FieldAuthor, FieldCommitter, FieldMessage:
		return v, checkRegexp(v)
	case FieldLang:
		name, ok := languageName(v)
		if !ok {
			return "", "unknown language " + quote(v)
		}
		return name, ""
	case FieldType:
		return oneOf(field, v, "file", "path", "repo", "commit", "diff", "symbol")
	case FieldCase:
		return oneOf(field, v, "yes", "no")
	case FieldFork, FieldArchived:
		return oneOf(field, v, "yes", "no", "only")
	case FieldVisibility:
		return oneOf(field, v, "any", "public", "private")
	case FieldSelect:
		return oneOf(field, v, "repo", "file", "file.directory", "content", "commit", "commit.diff.added", "commit.diff.removed")
	case FieldCount:
		if strings.EqualFold(v, "all") {
			return "all", ""
		}
		n, err := strconv.Atoi(v)
		if !isDigits(v) || err != nil || n < 1 || n > MaxCount {
			return "", fmt.Sprintf("count must be a number from 1 to %d, or all", MaxCount)
		}
		return strconv.Itoa(n), ""
	case FieldTimeout:
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return "", "timeout must be a positive duration such as 30s or 2m"
		}
		if d > opts.maxTimeout() {
			return "", fmt.Sprintf("timeout %s is longer than the maximum, %s", v, opts.maxTimeout())
		}
		return v, ""
	case FieldBefore, FieldAfter:
		_, msg := parseDate(v, opts.Now)
		return v, msg
	case FieldContext:
		if !contextName.MatchString(v) {
			return "", "invalid search context name " + quote(v)
		}
		return v, ""
	case FieldPatternType:
		pt, msg := parsePatternType(v)
		return string(pt), msg
	}
	return v, "" // content: never gets here: it is a pattern
}

func oneOf(field, v string, values ...string) (string, string) {
	lv := strings.ToLower(v)
	for _, ok := range values {
		if lv == ok {
			return lv, ""
		}
	}
	return "", fmt.Sprintf("invalid %s: value %s (want %s)", field, quote(v), strings.Join(values, ", "))
}

// checkRegexp validates a regexp, returning an error message that names it.
func checkRegexp(src string) string {
	if _, err := syntax.Parse(src, syntax.Perl); err != nil {
		msg := err.Error()
		if se, ok := err.(*syntax.Error); ok {
			msg = string(se.Code)
		}
		return "invalid regular expression " + quote(src) + ": " + msg
	}
	return ""
}

// parseRepoValue splits repo:REGEXP@rev1:rev2 at the first @ (a revision may hold
// one, as in HEAD@{1}) and checks both parts.
func parseRepoValue(v string, now time.Time) (string, []RevSpec, string) {
	re, revs, hasRevs := strings.Cut(v, "@")
	if re == "" {
		return "", nil, "repo: needs a repository pattern before @"
	}
	if msg := checkRegexp(re); msg != "" {
		return "", nil, msg
	}
	if !hasRevs {
		return re, nil, ""
	}
	specs, msg := parseRevs(revs, now)
	return re, specs, msg
}

// atTimePrefix starts the at.time(TIME[, REV]) revision.
const atTimePrefix = "at.time("

// parseRevs reads rev1:rev2:... where each is a revision, ^rev, *glob or *!glob, or a
// single at.time(TIME[, REV]) (TIME as before: takes it, relative to now).
func parseRevs(v string, now time.Time) ([]RevSpec, string) {
	if strings.HasPrefix(v, atTimePrefix) {
		return parseAtTime(v, now)
	}
	var specs []RevSpec
	for _, r := range strings.Split(v, ":") {
		if strings.HasPrefix(r, atTimePrefix) {
			return nil, "invalid revision " + quote(v) + ": at.time(...) must be the only revision"
		}
		var spec RevSpec
		switch {
		case strings.HasPrefix(r, "*!"):
			spec = RevSpec{RefGlob: r[2:], Exclude: true}
		case strings.HasPrefix(r, "*"):
			spec = RevSpec{RefGlob: r[1:]}
		case strings.HasPrefix(r, "^"):
			spec = RevSpec{Rev: r[1:], Exclude: true}
		default:
			spec = RevSpec{Rev: r}
		}
		if msg := checkRevName(v, r, spec.Rev+spec.RefGlob); msg != "" {
			return nil, msg
		}
		if spec.RefGlob != "" {
			if _, err := path.Match(spec.RefGlob, ""); err != nil {
				return nil, "invalid ref glob " + quote(r)
			}
		}
		specs = append(specs, spec)
	}
	return specs, ""
}

// checkRevName checks the name of revision r of the revisions v.
func checkRevName(v, r, name string) string {
	switch {
	case name == "":
		return "empty revision in " + quote(v)
	case strings.HasPrefix(name, "-"):
		// git would read it as an option.
		return "invalid revision " + quote(r) + ": must not start with -"
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f || isSpace(r) }):
		return "invalid revision " + quote(r) + ": must not hold spaces or control characters"
	}
	return ""
}

// parseAtTime reads at.time(TIME) or at.time(TIME, REV).
func parseAtTime(v string, now time.Time) ([]RevSpec, string) {
	inner, ok := strings.CutSuffix(v[len(atTimePrefix):], ")")
	if !ok {
		return nil, "invalid revision " + quote(v) + ": want at.time(TIME) or at.time(TIME, REVISION)"
	}
	when, rev, hasRev := strings.Cut(inner, ",")
	t, msg := parseDate(strings.TrimSpace(when), now)
	if msg != "" {
		return nil, msg
	}
	spec := RevSpec{AtTime: t}
	if hasRev {
		spec.Rev = strings.TrimSpace(rev)
		if msg := checkRevName(v, spec.Rev, spec.Rev); msg != "" {
			return nil, msg
		}
		if strings.ContainsAny(spec.Rev, "*^:") {
			return nil, "invalid revision " + quote(spec.Rev) + " in at.time: name one revision"
		}
	}
	return []RevSpec{spec}, ""
}
