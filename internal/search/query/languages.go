package query

import (
	"strings"

	"github.com/go-enry/go-enry/v2/data"
)

// languageName returns the linguist name of a language given by name or alias, case
// insensitively ("golang" → "Go", "c++" → "C++", "objective-c" → "Objective-C").
// Linguist's alias table writes spaces as underscores and keys in lower case.
func languageName(v string) (string, bool) {
	name, ok := data.LanguageByAliasMap[strings.ReplaceAll(strings.ToLower(v), " ", "_")]
	return name, ok
}
