package query

import (
	"errors"
	"fmt"
)

// Error is a query the parser rejects: the byte offset of the token at fault in the
// query text (-1 for a filter added by a helper such as Plan.AddFilter, which has no
// position), the token as written, and why it is rejected.
type Error struct {
	Pos   int
	Token string
	Msg   string
}

func (e *Error) Error() string {
	switch {
	case e.Pos < 0 && e.Token == "":
		return "invalid query: " + e.Msg
	case e.Pos < 0:
		return fmt.Sprintf("invalid query (%q): %s", e.Token, e.Msg)
	case e.Token == "":
		return fmt.Sprintf("invalid query at %d: %s", e.Pos, e.Msg)
	default:
		return fmt.Sprintf("invalid query at %d (%q): %s", e.Pos, e.Token, e.Msg)
	}
}

func errorf(pos int, token, format string, args ...any) *Error {
	return &Error{Pos: pos, Token: token, Msg: fmt.Sprintf(format, args...)}
}

// ErrCommitOrDiffRequired is returned by Plan.CheckCommitOrDiff when a branch of the
// query does not search commits or diffs, which code monitors require.
var ErrCommitOrDiffRequired = errors.New("all branches of query must be of type:diff or type:commit")
