// Package schema embeds Lookout's GraphQL SDL, one file per area. The files are joined in
// name order into one schema; areas extend Query and Mutation with `extend type`.
package schema

import (
	"embed"
	"io/fs"
	"slices"
	"sort"
	"strings"
)

//go:embed *.graphql
var files embed.FS

// Option adds an optional area to the schema.
type Option string

// Insights adds the code insights schema, served only when code insights are enabled
// (DISABLE_CODE_INSIGHTS removes it).
const Insights Option = "insights"

// optional are the files of optional areas, left out unless their option is given.
var optional = map[string]Option{"05_insights.graphql": Insights}

// SDL returns the schema: every area, and the optional ones opts name.
func SDL(opts ...Option) string {
	names, err := fs.Glob(files, "*.graphql")
	if err != nil {
		panic(err) // the pattern is constant
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		if o, ok := optional[n]; ok && !slices.Contains(opts, o) {
			continue
		}
		data, err := files.ReadFile(n)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		b.Write(data)
		b.WriteString("\n")
	}
	return b.String()
}
