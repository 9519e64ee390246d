// Package migrations embeds Lookout's schema migrations so both binaries carry them.
// Files are NNNN_name.up.sql and NNNN_name.down.sql; never edit a migration that has shipped,
// add a new one.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed main/*.sql
var mainFS embed.FS

//go:embed codeinsights/*.sql
var insightsFS embed.FS

// Main is the main database's migration set.
func Main() fs.FS { return sub(mainFS, "main") }

// CodeInsights is the insights database's migration set.
func CodeInsights() fs.FS { return sub(insightsFS, "codeinsights") }

func sub(fsys embed.FS, dir string) fs.FS {
	s, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant embedded above
	}
	return s
}
