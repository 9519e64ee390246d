package vcs

import "strings"

// ParseUnifiedDiff parses a patch as git diff writes it (a campaign plan's diff, which
// is stored, not read from a repository) into files and hunks, keeping at most maxBytes
// of hunk lines (0: all); truncated says whether any were dropped.
func ParseUnifiedDiff(patch string, maxBytes int) (files []FileDiff, truncated bool) {
	d := diffParser{maxBytes: maxBytes}
	for line := range strings.Lines(patch) {
		d.line([]byte(strings.TrimSuffix(line, "\n")))
	}
	return d.finish()
}

// DiffStat counts the lines a diff adds and deletes.
type DiffStat struct{ Added, Deleted int }

// Add counts one more file's lines.
func (s *DiffStat) Add(f *FileDiff) {
	for _, h := range f.Hunks {
		for line := range h.Lines() {
			if len(line) == 0 {
				continue
			}
			switch line[0] {
			case '+':
				s.Added++
			case '-':
				s.Deleted++
			}
		}
	}
}

// StatOf counts the lines of every file of a patch.
func StatOf(patch string) DiffStat {
	files, _ := ParseUnifiedDiff(patch, 0)
	var s DiffStat
	for i := range files {
		s.Add(&files[i])
	}
	return s
}
