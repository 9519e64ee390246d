// Package schema embeds Lookout's GraphQL SDL, one file per area. The files are joined in
// name order into one schema; areas extend Query and Mutation with `extend type`.
package schema

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.graphql
var files embed.FS

// SDL returns the whole schema.
func SDL() string {
	names, err := fs.Glob(files, "*.graphql")
	if err != nil {
		panic(err) // the pattern is constant
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		data, err := files.ReadFile(n)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		b.Write(data)
		b.WriteString("\n")
	}
	return b.String()
}
