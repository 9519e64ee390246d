package executor

import (
	"strings"
	"sync"
	"time"
)

// Stream names where a log line came from.
type Stream string

const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
	// System lines are written by the runner itself: truncation notes, why a
	// step was stopped, container engine fallbacks.
	System Stream = "system"
)

// LogLine is one line of a step's output, without its line terminator. A line
// longer than the runner's maximum line length arrives in several pieces.
type LogLine struct {
	Step   int // 1-based
	Stream Stream
	Time   time.Time
	Text   string
}

// StepStart announces a step about to run.
type StepStart struct {
	Step int // 1-based
	// Command is how the step is run, for the log: the shell and script path,
	// or the container engine's argv. It never holds env values.
	Command []string
	// Image is the container image, empty for a local process.
	Image string
	Time  time.Time
}

// Sink receives a run's progress as it happens, so a caller can persist the
// log while a step is still running. The runner serialises calls, so a Sink
// need not be safe for concurrent use by one run; it must be quick, since a
// slow sink holds back the step's output pipes (and so the step).
type Sink interface {
	StepStarted(StepStart)
	Line(LogLine)
	StepFinished(StepResult)
}

// FormatLine renders a line as it appears in a transcript: "stdout: text".
func FormatLine(l LogLine) string {
	return string(l.Stream) + ": " + l.Text
}

// Transcript is a Sink that keeps each step's log in memory, in the shape of a
// job's execution log entries. It is safe for concurrent use: the runner
// writes to it while another goroutine copies Snapshot to the database every
// few seconds, so the log is readable while the step runs.
type Transcript struct {
	mu      sync.Mutex
	steps   []TranscriptStep
	out     []strings.Builder
	version uint64
}

// TranscriptStep is one step's log so far.
type TranscriptStep struct {
	Step      int
	Command   []string
	Image     string
	StartTime time.Time
	// Out holds the lines written so far, each formatted by FormatLine and
	// terminated by a newline.
	Out string
	// Finished is set with ExitCode and Duration once the step ended.
	Finished bool
	ExitCode int
	Duration time.Duration
}

var _ Sink = (*Transcript)(nil)

func (t *Transcript) StepStarted(s StepStart) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.steps = append(t.steps, TranscriptStep{Step: s.Step, Command: s.Command, Image: s.Image, StartTime: s.Time})
	t.out = append(t.out, strings.Builder{})
	t.version++
}

func (t *Transcript) Line(l LogLine) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.find(l.Step)
	if i < 0 {
		return
	}
	t.out[i].WriteString(FormatLine(l))
	t.out[i].WriteByte('\n')
	t.version++
}

func (t *Transcript) StepFinished(r StepResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.find(r.Step)
	if i < 0 {
		return
	}
	t.steps[i].Finished = true
	t.steps[i].ExitCode = r.ExitCode
	t.steps[i].Duration = r.Duration
	t.version++
}

func (t *Transcript) find(step int) int {
	for i := len(t.steps) - 1; i >= 0; i-- {
		if t.steps[i].Step == step {
			return i
		}
	}
	return -1
}

// Snapshot returns a copy of the steps so far and a version number that
// changes whenever anything was added, so a poller can skip unchanged writes.
func (t *Transcript) Snapshot() ([]TranscriptStep, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	steps := make([]TranscriptStep, len(t.steps))
	for i, s := range t.steps {
		s.Command = append([]string(nil), s.Command...)
		s.Out = t.out[i].String()
		steps[i] = s
	}
	return steps, t.version
}

// lockedSink serialises a run's calls into the caller's sink.
type lockedSink struct {
	mu   sync.Mutex
	sink Sink
}

func (s *lockedSink) started(st StepStart) {
	if s.sink == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink.StepStarted(st)
}

func (s *lockedSink) line(l LogLine) {
	if s.sink == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink.Line(l)
}

func (s *lockedSink) finished(r StepResult) {
	if s.sink == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink.StepFinished(r)
}
