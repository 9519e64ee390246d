package executor

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of failure. Every error returned by Runner.Run is an *Error whose Kind
// is one of these, so callers can test with errors.Is(err, ErrTimeLimit).
var (
	// ErrInvalidSpec is bad input (an empty spec, a bad env name, a workdir
	// outside the repository): no retry can fix it.
	ErrInvalidSpec = errors.New("invalid campaign step spec")
	// ErrSetup is a failure to prepare the workspace (the revision is missing
	// from the mirror, the disk is full) or to read its diff. It may be
	// transient.
	ErrSetup = errors.New("workspace setup failed")
	// ErrStepFailed is a step that exited with a non-zero status.
	ErrStepFailed = errors.New("step failed")
	// ErrTimeLimit is a run that took longer than its time limit; the running
	// step was stopped.
	ErrTimeLimit = errors.New("time limit exceeded")
	// ErrOutputLimit is a step that printed more than its output limit; it was
	// stopped.
	ErrOutputLimit = errors.New("output limit exceeded")
	// ErrCanceled is a run whose context was canceled; the running step was
	// stopped.
	ErrCanceled = errors.New("canceled")
	// ErrNoContainerEngine is a step that names an image on a worker where no
	// container engine answers (and no fallback to local processes is
	// configured).
	ErrNoContainerEngine = errors.New("no container engine available")
	// ErrDiffTooLarge is a run whose resulting diff exceeds Spec.DiffLimit.
	ErrDiffTooLarge = errors.New("diff too large")
)

// Error describes why a run failed and, when a step was involved, which one.
type Error struct {
	// Kind is one of the Err* variables above.
	Kind error
	// Step is the 1-based index of the step that failed, 0 when the failure
	// was not in a step (setup, diff).
	Step int
	// ExitCode is the step's exit status when Kind is ErrStepFailed, and -1
	// otherwise.
	ExitCode int
	// Detail is a human-readable explanation, shown after the kind.
	Detail string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Step > 0 {
		fmt.Fprintf(&b, "step %d: ", e.Step)
	}
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Retryable reports whether running the same spec again might succeed: only
// setup failures (a mirror being re-cloned, a full disk) qualify. A failing,
// slow or chatty step fails the same way next time, so its job should fail at
// once.
func Retryable(err error) bool {
	return errors.Is(err, ErrSetup)
}

func setupError(detail string, err error) *Error {
	return &Error{Kind: ErrSetup, ExitCode: -1, Detail: detail, Err: err}
}

func invalidf(format string, args ...any) *Error {
	return &Error{Kind: ErrInvalidSpec, ExitCode: -1, Detail: fmt.Sprintf(format, args...)}
}
