package vcs

import (
	"context"
	"errors"
	"strings"
)

// CheckRevision rejects revisions that could be read as an option, a range or
// anything other than one commit-ish: empty, starting with '-' or '^', or
// containing "..", ':', "@{", whitespace, control characters, '\', '*', '?', '['.
// Suffixes such as "~2", "^2" and "^{commit}" are allowed. Exclusions ("^rev")
// are expressed with LogOptions.Exclude instead.
func CheckRevision(rev string) error {
	switch {
	case rev == "":
		return invalidf("empty revision")
	case len(rev) > 1024:
		return invalidf("revision too long")
	case rev[0] == '-':
		return invalidf("revision %q starts with '-'", rev)
	case rev[0] == '^':
		return invalidf("revision %q starts with '^'", rev)
	case strings.Contains(rev, ".."):
		return invalidf("revision %q contains '..'", rev)
	case strings.Contains(rev, "@{"):
		return invalidf("revision %q contains '@{'", rev)
	case strings.ContainsAny(rev, ":\\*?[ \t\n\r"):
		return invalidf("revision %q contains a forbidden character", rev)
	case strings.ContainsFunc(rev, isControl):
		return invalidf("revision %q contains control characters", rev)
	}
	return nil
}

// CheckBranchName validates a short branch name ("feature/x") by the rules of
// git check-ref-format --branch, without spawning git.
func CheckBranchName(branch string) error {
	if branch == "" || branch == "@" || branch == "HEAD" {
		return invalidf("invalid branch name %q", branch)
	}
	if len(branch) > 255 {
		return invalidf("branch name too long")
	}
	if branch[0] == '-' || strings.HasSuffix(branch, "/") || strings.HasSuffix(branch, ".") ||
		strings.Contains(branch, "..") || strings.Contains(branch, "//") || strings.Contains(branch, "@{") ||
		strings.ContainsAny(branch, " ~^:?*[\\") || strings.ContainsFunc(branch, isControl) {
		return invalidf("invalid branch name %q", branch)
	}
	for _, comp := range strings.Split(branch, "/") {
		if strings.HasPrefix(comp, ".") || strings.HasSuffix(comp, ".lock") {
			return invalidf("invalid branch name %q", branch)
		}
	}
	return nil
}

// IsOID reports whether s is a full hexadecimal object id (SHA-1 or SHA-256).
func IsOID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ResolveRevision resolves a branch, tag, (short) object id or relative
// revision to a full commit id. A revision that does not name a commit gives a
// *RevisionNotFoundError.
func (m *Mirror) ResolveRevision(ctx context.Context, rev string) (string, error) {
	if err := CheckRevision(rev); err != nil {
		return "", err
	}
	out, err := m.c.run(ctx, &gitCmd{
		gitDir: m.dir,
		args:   []string{"rev-parse", "--verify", "--end-of-options", rev + "^{commit}"},
	})
	if err != nil {
		if isNotFound(err) {
			return "", &RevisionNotFoundError{Repo: m.name, Rev: rev}
		}
		return "", err
	}
	oid := strings.TrimSpace(string(out))
	if !IsOID(oid) {
		return "", errors.New("git rev-parse returned an unexpected object id: " + oid)
	}
	return oid, nil
}

// isNotFound reports whether a failed command failed because a revision or
// object did not exist (as opposed to a timeout or a broken repository).
func isNotFound(err error) bool {
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode <= 0 {
		return false
	}
	for _, s := range []string{
		"Needed a single revision",
		"unknown revision",
		"bad revision",
		"Not a valid object name",
		"not a valid object name",
		"ambiguous argument",
		"bad object",
		"not a tree object",
		"invalid object name",
		"Invalid symmetric difference",
	} {
		if strings.Contains(ce.Stderr, s) {
			return true
		}
	}
	return false
}
