package search

import (
	"cmp"
	"slices"
	"sort"
)

// A query with an OR of filters runs as several Basic queries (query.Plan), each in
// its own goroutine, and two of them may find the same file at the same commit, or the
// same commit, with different matches: "(lang:go errBoom) OR (file:main.go errors)".
// Keeping whichever arrived first would make the result depend on timing and drop
// matches, so duplicates are merged into one result with the union of their matches,
// as one Basic query with an OR pattern would have found them.

type fileKey struct {
	repo         int64
	commit, path string
}

// mergeFiles merges file matches of the same file at the same commit and sorts the
// result by repository name, path, revision and commit.
func mergeFiles(fs []*FileMatch) []*FileMatch {
	slices.SortStableFunc(fs, compareFiles)
	return mergeSame(fs, func(f *FileMatch) fileKey { return fileKey{f.Repo.ID, f.Commit, f.Path} }, mergeFile)
}

// mergeSame merges, in place, the items of xs with the same key into the first of them,
// keeping the order of first appearance.
func mergeSame[T any, K comparable](xs []T, key func(T) K, merge func(a, b T) T) []T {
	out := xs[:0]
	index := make(map[K]int, len(xs))
	for _, x := range xs {
		k := key(x)
		if i, ok := index[k]; ok {
			out[i] = merge(out[i], x)
			continue
		}
		index[k] = len(out)
		out = append(out, x)
	}
	return out
}

func compareFiles(a, b *FileMatch) int {
	return cmp.Or(cmp.Compare(a.Repo.Name, b.Repo.Name), cmp.Compare(a.Repo.ID, b.Repo.ID), cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.Rev, b.Rev), cmp.Compare(a.Commit, b.Commit))
}

// mergeFile returns a new match with the union of a's and b's line and path matches.
func mergeFile(a, b *FileMatch) *FileMatch {
	m := *a
	if m.Language == "" {
		m.Language = b.Language // only a lang: filter detects it
	}
	m.PathMatches, _ = unionRanges(a.PathMatches, b.PathMatches)
	m.LimitHit = a.LimitHit || b.LimitHit
	previews := map[int]string{}
	ranges := map[int][]Range{}
	dup := 0
	for _, lms := range [][]LineMatch{a.LineMatches, b.LineMatches} {
		for _, lm := range lms {
			if _, ok := previews[lm.LineNumber]; !ok {
				previews[lm.LineNumber] = lm.Preview
			}
			var d int
			ranges[lm.LineNumber], d = unionRanges(ranges[lm.LineNumber], lm.Ranges)
			dup += d
		}
	}
	lines := make([]LineMatch, 0, len(previews))
	for n, p := range previews {
		lines = append(lines, LineMatch{LineNumber: n, Preview: p, Ranges: ranges[n]})
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].LineNumber < lines[j].LineNumber })
	m.LineMatches = lines
	// Matches beyond what the previews show (a line cut at MaxPreviewBytes) are counted
	// in MatchCount only; the ones both found are counted once.
	shown := 0
	for _, lm := range lines {
		shown += len(lm.Ranges)
	}
	m.MatchCount = max(a.MatchCount+b.MatchCount-dup, shown)
	return &m
}

// unionRanges merges two sorted lists of ranges, joining overlapping ones as Matcher.Ranges
// does, and returns how many ranges the union has fewer than the two lists together.
func unionRanges(a, b []Range) ([]Range, int) {
	if len(b) == 0 {
		return a, 0
	}
	if len(a) == 0 {
		return slices.Clone(b), 0
	}
	all := append(slices.Clone(a), b...)
	slices.SortFunc(all, func(x, y Range) int { return cmp.Or(cmp.Compare(x.Start, y.Start), cmp.Compare(x.End, y.End)) })
	out := all[:1]
	for _, r := range all[1:] {
		last := &out[len(out)-1]
		if r.Start < last.End || r == *last {
			last.End = max(last.End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out, len(a) + len(b) - len(out)
}

type commitKey struct {
	repo int64
	oid  string
	diff bool
}

// mergeCommits merges matches of the same commit (message or diff) and sorts the
// result by repository name, then newest first.
func mergeCommits(cs []*CommitMatch) []*CommitMatch {
	slices.SortStableFunc(cs, func(a, b *CommitMatch) int {
		return cmp.Or(cmp.Compare(a.Repo.Name, b.Repo.Name), cmp.Compare(a.Repo.ID, b.Repo.ID),
			b.Commit.Committer.Date.Compare(a.Commit.Committer.Date), cmp.Compare(a.Commit.OID, b.Commit.OID), compareBool(a.Diff, b.Diff))
	})
	return mergeSame(cs, func(c *CommitMatch) commitKey { return commitKey{c.Repo.ID, c.Commit.OID, c.Diff} }, mergeCommit)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// mergeCommit returns a new match with the union of a's and b's message ranges and
// matching hunks.
func mergeCommit(a, b *CommitMatch) *CommitMatch {
	m := *a
	m.MessageRanges, _ = unionRanges(a.MessageRanges, b.MessageRanges)
	if !a.Diff {
		m.matches = len(m.MessageRanges)
		return &m
	}
	type fk struct{ oldPath, newPath string }
	type hk struct{ oldStart, newStart int }
	files := map[fk]int{}
	m.Files = nil
	for _, src := range [][]DiffFile{a.Files, b.Files} {
		for _, f := range src {
			k := fk{f.OldPath, f.NewPath}
			i, ok := files[k]
			if !ok {
				files[k] = len(m.Files)
				m.Files = append(m.Files, DiffFile{OldPath: f.OldPath, NewPath: f.NewPath, Status: f.Status})
				i = len(m.Files) - 1
			}
			df := &m.Files[i]
			for _, h := range f.Hunks {
				j := slices.IndexFunc(df.Hunks, func(x DiffHunk) bool { return hk{x.OldStart, x.NewStart} == hk{h.OldStart, h.NewStart} })
				if j < 0 {
					h.Matches = slices.Clone(h.Matches)
					df.Hunks = append(df.Hunks, h)
					continue
				}
				df.Hunks[j].Matches = unionLineRanges(df.Hunks[j].Matches, h.Matches)
			}
		}
	}
	slices.SortStableFunc(m.Files, func(x, y DiffFile) int { return cmp.Compare(x.Path(), y.Path()) })
	n := 0
	for i := range m.Files {
		slices.SortFunc(m.Files[i].Hunks, func(x, y DiffHunk) int {
			return cmp.Or(cmp.Compare(x.NewStart, y.NewStart), cmp.Compare(x.OldStart, y.OldStart))
		})
		for _, h := range m.Files[i].Hunks {
			n += len(h.Matches)
		}
	}
	m.matches = n
	return &m
}

// unionLineRanges merges two lists of ranges within a hunk's lines.
func unionLineRanges(a, b []LineRange) []LineRange {
	all := append(slices.Clone(a), b...)
	slices.SortFunc(all, func(x, y LineRange) int {
		return cmp.Or(cmp.Compare(x.Line, y.Line), cmp.Compare(x.Start, y.Start), cmp.Compare(x.End, y.End))
	})
	var out []LineRange
	for _, r := range all {
		if len(out) > 0 {
			last := &out[len(out)-1]
			if last.Line == r.Line && r.Start < last.End || *last == r {
				last.End = max(last.End, r.End)
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// mergeRepos merges repository matches of the same repository (their name ranges) and
// sorts them by name.
func mergeRepos(rs []*RepoMatch) []*RepoMatch {
	slices.SortStableFunc(rs, func(a, b *RepoMatch) int {
		return cmp.Or(cmp.Compare(a.Repo.Name, b.Repo.Name), cmp.Compare(a.Repo.ID, b.Repo.ID))
	})
	return mergeSame(rs, func(r *RepoMatch) int64 { return r.Repo.ID }, func(a, b *RepoMatch) *RepoMatch {
		m := *a
		m.NameRanges, _ = unionRanges(a.NameRanges, b.NameRanges)
		return &m
	})
}
