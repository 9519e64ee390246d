package query

import (
	"slices"
	"strings"
)

// Canonical filter field names. Aliases (r:, f:, l:, msg:, until:, ...) are mapped to
// these when a query is parsed, so consumers only ever see these names.
const (
	FieldRepo        = "repo"
	FieldRev         = "rev"
	FieldFile        = "file"
	FieldLang        = "lang"
	FieldContent     = "content"
	FieldType        = "type"
	FieldCase        = "case"
	FieldFork        = "fork"
	FieldArchived    = "archived"
	FieldVisibility  = "visibility"
	FieldCount       = "count"
	FieldTimeout     = "timeout"
	FieldSelect      = "select"
	FieldAuthor      = "author"
	FieldCommitter   = "committer"
	FieldMessage     = "message"
	FieldBefore      = "before"
	FieldAfter       = "after"
	FieldContext     = "context"
	FieldPatternType = "patterntype"
)

// fieldSpec says how a filter behaves.
type fieldSpec struct {
	// negatable filters accept a "-" prefix (or NOT).
	negatable bool
	// single filters may appear more than once in a basic query only with one value.
	single bool
	// commitOnly filters need type:commit or type:diff.
	commitOnly bool
}

var fieldSpecs = map[string]fieldSpec{
	FieldRepo:        {negatable: true},
	FieldRev:         {single: true},
	FieldFile:        {negatable: true},
	FieldLang:        {negatable: true},
	FieldContent:     {negatable: true},
	FieldType:        {single: true},
	FieldCase:        {single: true},
	FieldFork:        {single: true},
	FieldArchived:    {single: true},
	FieldVisibility:  {single: true},
	FieldCount:       {single: true},
	FieldTimeout:     {single: true},
	FieldSelect:      {single: true},
	FieldAuthor:      {negatable: true, commitOnly: true},
	FieldCommitter:   {negatable: true, commitOnly: true},
	FieldMessage:     {negatable: true, commitOnly: true},
	FieldBefore:      {single: true, commitOnly: true},
	FieldAfter:       {single: true, commitOnly: true},
	FieldContext:     {single: true},
	FieldPatternType: {single: true},
}

// fieldAliases maps every accepted spelling (lower case) to its canonical name.
var fieldAliases = map[string]string{
	"repo": FieldRepo, "r": FieldRepo,
	"rev": FieldRev, "revision": FieldRev,
	"file": FieldFile, "f": FieldFile, "path": FieldFile,
	"lang": FieldLang, "l": FieldLang, "language": FieldLang,
	"content":    FieldContent,
	"type":       FieldType,
	"case":       FieldCase,
	"fork":       FieldFork,
	"archived":   FieldArchived,
	"visibility": FieldVisibility,
	"count":      FieldCount,
	"timeout":    FieldTimeout,
	"select":     FieldSelect,
	"author":     FieldAuthor,
	"committer":  FieldCommitter,
	"message":    FieldMessage, "msg": FieldMessage, "m": FieldMessage,
	"before": FieldBefore, "until": FieldBefore,
	"after": FieldAfter, "since": FieldAfter,
	"context":     FieldContext,
	"patterntype": FieldPatternType,
}

// unsupportedFields are Sourcegraph filters Lookout recognises but does not run. They
// are rejected rather than read as text, so a query never silently means less than
// its author thinks.
var unsupportedFields = map[string]bool{
	"repohasfile":        true,
	"repohascommitafter": true,
	"repohasdescription": true,
	"repohastopic":       true,
	"repohaskvp":         true,
	"repogroup":          true,
	"index":              true,
	"stable":             true,
	"rule":               true,
	"combyrule":          true,
}

// KnownFilters returns the canonical names of the filters Lookout runs, sorted: what
// an unknown filter's error lists.
func KnownFilters() []string {
	out := make([]string, 0, len(fieldSpecs))
	for f := range fieldSpecs {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// lookupField returns the canonical name of a field as written, and whether it is
// known. Field names are case-insensitive (patternType: is common).
func lookupField(name string) (string, bool) {
	f, ok := fieldAliases[strings.ToLower(name)]
	return f, ok
}

// CanonicalField returns the canonical name for a field or alias ("r" → "repo"), and
// false if the field is unknown.
func CanonicalField(name string) (string, bool) {
	return lookupField(strings.TrimPrefix(name, "-"))
}
