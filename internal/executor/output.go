package executor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// outputLimits bound what one step may print and what of it reaches the log.
type outputLimits struct {
	// hard stops the step once its stdout and stderr together exceed it.
	hard int64
	// log is how many bytes of lines reach the sink live; past it lines are
	// counted and dropped, except a tail per stream shown when the step ends.
	log int64
	// tail is how many bytes of each stream's last output are kept once
	// lines are being dropped.
	tail int
	// maxLine splits longer lines, so a step printing without newlines cannot
	// grow a line buffer without bound.
	maxLine int
	// idleFlush is how long an incomplete line waits before it is sent anyway,
	// so a progress message without a newline shows while the step runs.
	idleFlush time.Duration
}

// lineOverhead is what a line costs in the log beyond its text: the stream
// name and newline a Transcript adds ("stdout: ", "\n").
const lineOverhead = 9

// stepOutput accounts for one step's output across its two streams.
type stepOutput struct {
	step int
	lim  outputLimits
	sink *lockedSink

	total      atomic.Int64
	exceeded   chan struct{}
	exceedOnce sync.Once
	// final, when non-zero, is the UnixNano time after which readers give up
	// waiting for EOF (a process that escaped the group may hold a pipe).
	final atomic.Int64

	mu       sync.Mutex
	logged   int64
	dropping bool
	dropped  int64
}

func newStepOutput(step int, lim outputLimits, sink *lockedSink) *stepOutput {
	return &stepOutput{step: step, lim: lim, sink: sink, exceeded: make(chan struct{})}
}

// streamReader reads one pipe, splitting it into lines.
type streamReader struct {
	o       *stepOutput
	stream  Stream
	partial []byte
	tail    []byte
	cut     bool // bytes were discarded from the front of tail
}

// read consumes f until EOF or the final deadline.
func (o *stepOutput) read(f *os.File, stream Stream) *streamReader {
	r := &streamReader{o: o, stream: stream}
	buf := make([]byte, 64<<10)
	for {
		deadline := time.Now().Add(o.lim.idleFlush)
		if fin := o.final.Load(); fin != 0 && fin < deadline.UnixNano() {
			deadline = time.Unix(0, fin)
		}
		_ = f.SetReadDeadline(deadline)
		n, err := f.Read(buf)
		if n > 0 {
			r.consume(buf[:n])
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if fin := o.final.Load(); fin != 0 && time.Now().UnixNano() >= fin {
				break
			}
			r.flushPartial()
			continue
		}
		break // EOF, or the pipe is unusable
	}
	r.flushPartial()
	return r
}

// stopReading makes readers return within d even if a pipe never reaches EOF.
func (o *stepOutput) stopReading(d time.Duration, files ...*os.File) {
	fin := time.Now().Add(d)
	o.final.Store(fin.UnixNano())
	for _, f := range files {
		_ = f.SetReadDeadline(fin)
	}
}

func (r *streamReader) consume(chunk []byte) {
	o := r.o
	if o.total.Add(int64(len(chunk))) > o.lim.hard {
		o.exceedOnce.Do(func() { close(o.exceeded) })
	}
	for len(chunk) > 0 {
		if r.isDropping() {
			r.drop(chunk)
			return
		}
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			room := o.lim.maxLine - len(r.partial)
			if len(chunk) < room {
				r.partial = append(r.partial, chunk...)
				return
			}
			r.partial = append(r.partial, chunk[:room]...)
			chunk = chunk[room:]
			r.emitPartial()
			continue
		}
		line := chunk[:i]
		chunk = chunk[i+1:]
		if len(r.partial) > 0 {
			line = append(r.partial, line...)
			r.partial = r.partial[:0]
		}
		for len(line) > o.lim.maxLine {
			if !r.emit(line[:o.lim.maxLine]) {
				r.drop(line[o.lim.maxLine:])
				r.drop([]byte{'\n'})
				line = nil
				break
			}
			line = line[o.lim.maxLine:]
		}
		if line != nil && !r.emit(line) {
			r.drop([]byte{'\n'})
		}
	}
}

func (r *streamReader) isDropping() bool {
	r.o.mu.Lock()
	defer r.o.mu.Unlock()
	return r.o.dropping
}

// emit sends a line to the sink if the log budget allows; otherwise it
// switches the step to dropping, keeps the line in the tail and returns false.
func (r *streamReader) emit(line []byte) bool {
	o := r.o
	o.mu.Lock()
	if o.dropping || o.logged+int64(len(line))+lineOverhead > o.lim.log {
		first := !o.dropping
		o.dropping = true
		o.mu.Unlock()
		if first {
			o.system(fmt.Sprintf("log limit of %s reached: further output is counted but not shown until the step ends", formatBytes(o.lim.log)))
		}
		r.drop(line)
		return false
	}
	o.logged += int64(len(line)) + lineOverhead
	o.mu.Unlock()
	o.sink.line(LogLine{Step: o.step, Stream: r.stream, Time: time.Now(), Text: string(bytes.TrimSuffix(line, []byte{'\r'}))})
	return true
}

// emitPartial sends the incomplete line collected so far as a line of its own.
func (r *streamReader) emitPartial() {
	line := r.partial
	r.partial = nil
	if !r.emit(line) {
		return
	}
	r.partial = line[:0]
}

func (r *streamReader) flushPartial() {
	if len(r.partial) > 0 {
		r.emitPartial()
	}
}

// drop counts bytes that do not reach the log live and keeps the last of
// them for the tail.
func (r *streamReader) drop(b []byte) {
	if len(r.partial) > 0 {
		p := r.partial
		r.partial = nil
		r.drop(p)
	}
	o := r.o
	o.mu.Lock()
	o.dropping = true
	o.dropped += int64(len(b))
	o.mu.Unlock()
	if o.lim.tail <= 0 {
		r.cut = r.cut || len(b) > 0
		return
	}
	r.tail = append(r.tail, b...)
	if len(r.tail) > 2*o.lim.tail {
		n := copy(r.tail, r.tail[len(r.tail)-o.lim.tail:])
		r.tail = r.tail[:n]
		r.cut = true
	}
}

// tailLines returns the kept tail as whole lines: a first line whose start was
// discarded is left out, and at most lim.tail bytes are returned.
func (r *streamReader) tailLines() [][]byte {
	t := r.tail
	cut := r.cut
	if len(t) > r.o.lim.tail {
		t = t[len(t)-r.o.lim.tail:]
		cut = true
	}
	if cut {
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			t = t[i+1:]
		} else {
			t = nil
		}
	}
	t = bytes.TrimSuffix(t, []byte{'\n'})
	if len(t) == 0 {
		return nil
	}
	lines := bytes.Split(t, []byte{'\n'})
	// Short lines cost more in the log than in the pipe; keep the last
	// lines that fit in tail bytes of log.
	budget := r.o.lim.tail
	i := len(lines)
	for i > 0 && budget >= len(lines[i-1])+lineOverhead {
		budget -= len(lines[i-1]) + lineOverhead
		i--
	}
	return lines[i:]
}

// finish writes the truncation note and the tails once both streams ended.
func (o *stepOutput) finish(readers ...*streamReader) {
	o.mu.Lock()
	dropped := o.dropped
	o.mu.Unlock()
	if dropped == 0 {
		return
	}
	o.system(fmt.Sprintf("output truncated: %s of %s not shown (log limit %s); the last lines of each stream follow",
		formatBytes(dropped), formatBytes(o.total.Load()), formatBytes(o.lim.log)))
	for _, r := range readers {
		for _, l := range r.tailLines() {
			o.sink.line(LogLine{Step: o.step, Stream: r.stream, Time: time.Now(), Text: string(bytes.TrimSuffix(l, []byte{'\r'}))})
		}
	}
}

func (o *stepOutput) system(text string) {
	o.sink.line(LogLine{Step: o.step, Stream: System, Time: time.Now(), Text: text})
}

// truncated reports whether any output did not reach the log live.
func (o *stepOutput) truncated() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped > 0
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
