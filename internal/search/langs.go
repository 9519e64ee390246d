package search

import (
	"bytes"
	"path"
	"sort"
	"strings"

	"github.com/go-enry/go-enry/v2"
)

// Language detection follows linguist through go-enry: the file name decides when it can
// (Makefile, *.go); content is read only where the name is ambiguous (*.h: C, C++ or
// Objective-C) or says nothing (a script with a shebang), so filtering by lang: rarely
// costs a read.

// languageByName returns a path's language when its name decides it; otherwise "" and
// the candidate languages its extension allows (none when the name says nothing).
func languageByName(p string) (string, []string) {
	base := path.Base(p)
	var cands []string
	if ls := enry.GetLanguagesByFilename(base, nil, nil); len(ls) == 1 {
		return ls[0], nil
	} else if len(ls) > 1 {
		cands = ls
	}
	if ls := enry.GetLanguagesByExtension(base, nil, nil); len(ls) == 1 && cands == nil {
		return ls[0], nil
	} else if len(ls) > 1 && cands == nil {
		cands = ls
	}
	return "", cands
}

// languageByContent decides a language the name left open.
func languageByContent(p string, cands []string, content []byte) string {
	base := path.Base(p)
	if len(cands) == 0 {
		if l, ok := enry.GetLanguageByShebang(content); ok {
			return l
		}
		if l, ok := enry.GetLanguageByModeline(content); ok {
			return l
		}
		return ""
	}
	return enry.GetLanguage(base, content)
}

// langFilter is a query's lang: and -lang: filters.
type langFilter struct {
	include, exclude []string
}

func (f langFilter) active() bool { return len(f.include)+len(f.exclude) > 0 }

// ok reports whether a file of language lang passes. A file has one language, so two
// different lang: filters select nothing, as two file: filters that cannot both match.
func (f langFilter) ok(lang string) bool {
	for _, l := range f.include {
		if !strings.EqualFold(l, lang) {
			return false
		}
	}
	for _, l := range f.exclude {
		if strings.EqualFold(l, lang) {
			return false
		}
	}
	return true
}

// decideByName decides a path by its name alone when it can: keep, and decided=false
// when the content must tell.
func (f langFilter) decideByName(lang string, cands []string) (keep, decided bool) {
	if !f.active() {
		return true, true
	}
	if lang != "" {
		return f.ok(lang), true
	}
	if len(cands) == 0 {
		return false, false
	}
	first := f.ok(cands[0])
	for _, c := range cands[1:] {
		if f.ok(c) != first {
			return false, false
		}
	}
	return first, true
}

// LanguageStat is the size of one language's files.
type LanguageStat struct {
	Name  string
	Bytes int64
	Lines int
	Files int
}

// countLines counts lines as editors do: a final line without a newline counts.
func countLines(data []byte) int {
	n := bytes.Count(data, []byte{'\n'})
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// langTotals accumulates LanguageStats.
type langTotals map[string]*LanguageStat

func (t langTotals) add(lang string, size int64, lines int) {
	if lang == "" {
		return
	}
	s := t[lang]
	if s == nil {
		s = &LanguageStat{Name: lang}
		t[lang] = s
	}
	s.Bytes += size
	s.Lines += lines
	s.Files++
}

func (t langTotals) merge(o langTotals) {
	for _, s := range o {
		d := t[s.Name]
		if d == nil {
			d = &LanguageStat{Name: s.Name}
			t[s.Name] = d
		}
		d.Bytes += s.Bytes
		d.Lines += s.Lines
		d.Files += s.Files
	}
}

// sorted returns the totals, most lines first.
func (t langTotals) sorted() []LanguageStat {
	out := make([]LanguageStat, 0, len(t))
	for _, s := range t {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Lines != out[j].Lines {
			return out[i].Lines > out[j].Lines
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// FileLanguage is a file's language as search results name it: by its name, else by its
// content (nil when it was not read) among the languages the name allows.
func FileLanguage(p string, content []byte) string {
	lang, cands := languageByName(p)
	switch {
	case lang != "":
		return lang
	case content != nil && !isBinary(content):
		return languageByContent(p, cands, content)
	case len(cands) > 0:
		return cands[0]
	}
	return ""
}
