package search

import (
	"slices"
	"sort"

	"github.com/lookout/lookout/internal/search/query"
)

// contentSpec builds the content/path scan of a Basic query.
func (s *Service) contentSpec(b query.Basic) (*scanSpec, error) {
	m, err := NewMatcher(b.Pattern)
	if err != nil {
		return nil, err
	}
	inc, exc := b.Files()
	li, le := b.Languages()
	types := b.Types()
	sp := &scanSpec{
		matcher:     m,
		files:       fileFilter{include: inc, exclude: exc, langs: langFilter{include: li, exclude: le}},
		content:     slices.Contains(types, query.TypeFile),
		paths:       slices.Contains(types, query.TypePath),
		maxFileSize: s.opts.MaxFileSize,
	}
	sp.readContent = sp.content && !m.Empty()
	return sp, nil
}

func sortFileCounts(fs []FileCount) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
}
