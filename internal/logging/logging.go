// Package logging starts the binaries' logger (sourcegraph/log) and gives it a format for
// people at a terminal. Both mains call Init once, first thing.
//
// SRC_LOG_FORMAT picks the format: json (the default, one object per line for log
// collectors, as production wants), json_gcp, condensed (the library's console encoder),
// or human, Lookout's own: one short line per entry,
//
//	14:03:07 INFO  frontend: frontend listening addr=127.0.0.1:3080 console=http://127.0.0.1:3080/api/console
//
// with the time, level, scope, message and attributes, and none of the resource and caller
// details the other formats carry. `make run` uses it. The library has no hook for an
// encoder of its own, so for human Init has it write JSON into a pipe and rewrites each
// line on the way to the real standard error; text that is not a log entry (the password
// the frontend prints once) passes through unchanged.
package logging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/env"
)

// Human is the SRC_LOG_FORMAT value of the format for people.
const Human = "human"

// Init initialises the logger of service (lookout-frontend, lookout-worker). The
// returned function flushes it: call it before the process exits.
func Init(service string) (flush func()) {
	if Declare() != Human {
		return log.Init(log.Resource{Name: service}).Sync
	}
	_ = os.Setenv("SRC_LOG_FORMAT", "json") // what the pipe below reads
	out := os.Stderr
	pr, pw, err := os.Pipe()
	if err != nil {
		return log.Init(log.Resource{Name: service}).Sync
	}
	os.Stderr = pw // the library opens "stderr" as os.Stderr is at Init
	done := make(chan struct{})
	go func() {
		defer close(done)
		Rewrite(out, pr)
	}()
	callbacks := log.Init(log.Resource{Name: service})
	return func() {
		callbacks.Sync()
		os.Stderr = out
		_ = pw.Close()
		<-done
	}
}

// Declare declares the logging variables (for `<binary> env`) and returns the format.
func Declare() (format string) {
	env.Get("SRC_LOG_LEVEL", "warn", "Log level: debug, info, warn, error or none.")
	env.Get("SRC_LOG_SCOPE_LEVEL", "", "Log levels of single scopes, like frontend.http=debug,worker=info.")
	return env.Get("SRC_LOG_FORMAT", "json", "Log format: json, json_gcp, condensed, or human (short lines for a terminal; make run uses it).")
}

// Rewrite copies r to w, writing each JSON log entry as a human line and any other line
// as it is.
func Rewrite(w io.Writer, r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if human, ok := Format(line); ok {
				line = human
			}
			_, _ = w.Write(line)
		}
		if err != nil {
			return
		}
	}
}

// entry is a log line as the library's JSON encoder writes it.
type entry struct {
	SeverityText         string
	Timestamp            int64 // nanoseconds
	InstrumentationScope string
	Body                 string
	Attributes           map[string]any
}

// Format renders one JSON log line for people; ok is false for anything else.
func Format(line []byte) (out []byte, ok bool) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	var e entry
	if json.Unmarshal(trimmed, &e) != nil || e.SeverityText == "" || e.Body == "" {
		return nil, false
	}
	var b strings.Builder
	b.WriteString(time.Unix(0, e.Timestamp).Format("15:04:05"))
	fmt.Fprintf(&b, " %-5s ", e.SeverityText)
	if e.InstrumentationScope != "" {
		b.WriteString(e.InstrumentationScope + ": ")
	}
	b.WriteString(e.Body)
	writeAttrs(&b, "", e.Attributes)
	b.WriteByte('\n')
	return []byte(b.String()), true
}

// writeAttrs writes attributes as key=value, nested objects as dotted keys, in key order.
func writeAttrs(b *strings.Builder, prefix string, attrs map[string]any) {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := attrs[k].(type) {
		case map[string]any:
			writeAttrs(b, prefix+k+".", v)
		default:
			b.WriteString(" " + prefix + k + "=" + value(v))
		}
	}
}

func value(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" || strings.ContainsAny(v, " =\"\t\n") {
			return strconv.Quote(v)
		}
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return "null"
	default:
		raw, _ := json.Marshal(v)
		return string(raw)
	}
}
