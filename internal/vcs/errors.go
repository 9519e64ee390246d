package vcs

import (
	"errors"
	"fmt"
)

var (
	// ErrRevisionNotFound matches (errors.Is) a *RevisionNotFoundError.
	ErrRevisionNotFound = errors.New("revision not found")
	// ErrNotCloned is returned by Cache.Mirror for a repository that has no mirror yet.
	ErrNotCloned = errors.New("repository not cloned")
	// ErrPatchDoesNotApply matches (errors.Is) a *PatchError: the patch is bad or
	// conflicts with the base revision. Retrying cannot help.
	ErrPatchDoesNotApply = errors.New("patch does not apply")
	// ErrPushRejected matches (errors.Is) a *PushRejectedError.
	ErrPushRejected = errors.New("push rejected")
	// ErrObjectNotFound matches (errors.Is) an *ObjectNotFoundError.
	ErrObjectNotFound = errors.New("object not found")
	// ErrInvalidArgument wraps rejected user input (a bad revision, path or
	// branch name): callers should fail the request rather than retry.
	ErrInvalidArgument = errors.New("invalid argument")
)

// RevisionNotFoundError is a revision that does not resolve to a commit in the mirror.
type RevisionNotFoundError struct {
	Repo string
	Rev  string
}

func (e *RevisionNotFoundError) Error() string {
	return fmt.Sprintf("revision %q not found in %s", e.Rev, e.Repo)
}

func (e *RevisionNotFoundError) Is(target error) bool { return target == ErrRevisionNotFound }

// PatchError is a patch that git apply refused, with git's explanation.
type PatchError struct {
	Repo   string
	Base   string
	Detail string
}

func (e *PatchError) Error() string {
	return fmt.Sprintf("patch does not apply to %s at %s: %s", e.Repo, e.Base, e.Detail)
}

func (e *PatchError) Is(target error) bool { return target == ErrPatchDoesNotApply }

// PushRejectedError is a push the remote refused, typically because the branch
// moved and the push was not forced.
type PushRejectedError struct {
	Repo   string
	Ref    string
	Reason string
}

func (e *PushRejectedError) Error() string {
	return fmt.Sprintf("push of %s to %s rejected: %s", e.Ref, e.Repo, e.Reason)
}

func (e *PushRejectedError) Is(target error) bool { return target == ErrPushRejected }

// ObjectNotFoundError is an object missing from the mirror.
type ObjectNotFoundError struct {
	Repo string
	Name string
}

func (e *ObjectNotFoundError) Error() string {
	return fmt.Sprintf("object %q not found in %s", e.Name, e.Repo)
}

func (e *ObjectNotFoundError) Is(target error) bool { return target == ErrObjectNotFound }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}
