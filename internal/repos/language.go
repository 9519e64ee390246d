package repos

import (
	"context"
	"path"

	"github.com/go-enry/go-enry/v2"

	"github.com/lookout/lookout/internal/vcs"
)

// PrimaryLanguage returns the programming language with the most bytes in the tree of
// commit, as linguist would name it ("" when the tree has no code). Only file names are
// read (git ls-tree with sizes), so a fetch can afford it: names that leave the language
// open (a .h file, a script without an extension) do not count, and neither do vendored
// files, documentation, data and markup, as on the code hosts' language bars.
func PrimaryLanguage(ctx context.Context, m *vcs.Mirror, commit string) (string, error) {
	entries, err := m.ListTree(ctx, commit)
	if err != nil {
		return "", err
	}
	return primaryLanguage(entries), nil
}

func primaryLanguage(entries []vcs.TreeEntry) string {
	bytes := map[string]int64{}
	for _, e := range entries {
		if e.Type != "blob" || e.Mode == vcs.ModeSymlink || enry.IsVendor(e.Path) || enry.IsDocumentation(e.Path) || enry.IsDotFile(e.Path) {
			continue
		}
		lang := languageOfName(path.Base(e.Path))
		if lang == "" || enry.GetLanguageType(lang) != enry.Programming {
			continue
		}
		bytes[lang] += e.Size
	}
	best, most := "", int64(-1)
	for lang, n := range bytes {
		if n > most || n == most && lang < best {
			best, most = lang, n
		}
	}
	return best
}

// languageOfName is the language a file name alone decides, or "". An extension many
// languages share decides when only one of them is widely used (.rs is Rust, not
// RenderScript; .ts TypeScript, not Qt's XML), which is how linguist's content
// heuristics end for nearly every such file; .h (C, C++, Objective-C) stays open.
func languageOfName(name string) string {
	ls := enry.GetLanguagesByFilename(name, nil, nil)
	if len(ls) == 0 {
		ls = enry.GetLanguagesByExtension(name, nil, nil)
	}
	if len(ls) == 1 {
		return ls[0]
	}
	found := ""
	for _, l := range ls {
		if popular[l] {
			if found != "" {
				return ""
			}
			found = l
		}
	}
	return found
}

// popular are the languages most repositories are written in (linguist's popular list).
var popular = map[string]bool{
	"C": true, "C#": true, "C++": true, "CoffeeScript": true, "CSS": true, "Dart": true, "Elixir": true,
	"Go": true, "Groovy": true, "Haskell": true, "HTML": true, "Java": true, "JavaScript": true,
	"Kotlin": true, "Lua": true, "Objective-C": true, "Perl": true, "PHP": true, "PowerShell": true,
	"Python": true, "R": true, "Ruby": true, "Rust": true, "Scala": true, "Shell": true, "Swift": true,
	"TypeScript": true,
}
