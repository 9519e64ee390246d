// Package env reads configuration from the environment. Every variable is declared with a
// default and a description, so a binary can list what it reads (`<binary> env`) and a bad
// value fails start-up with a message naming the variable.
package env

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

type variable struct {
	name, def, desc string
}

var (
	mu       sync.Mutex
	declared = map[string]variable{}
	errs     []error
)

// Get declares name and returns its value, or def when unset or empty.
func Get(name, def, desc string) string {
	mu.Lock()
	declared[name] = variable{name, def, desc}
	mu.Unlock()
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func fail(name, val, want string) {
	mu.Lock()
	errs = append(errs, fmt.Errorf("invalid %s=%q: want %s", name, val, want))
	mu.Unlock()
}

// Int declares an integer variable.
func Int(name string, def int, desc string) int {
	raw := Get(name, strconv.Itoa(def), desc)
	n, err := strconv.Atoi(raw)
	if err != nil {
		fail(name, raw, "an integer")
		return def
	}
	return n
}

// PositiveInt declares an integer variable that must be at least 1.
func PositiveInt(name string, def int, desc string) int {
	raw := Get(name, strconv.Itoa(def), desc)
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		fail(name, raw, "a whole number of at least 1")
		return def
	}
	return n
}

// Bool declares a boolean variable (true/false/1/0).
func Bool(name string, def bool, desc string) bool {
	raw := Get(name, strconv.FormatBool(def), desc)
	b, err := strconv.ParseBool(raw)
	if err != nil {
		fail(name, raw, "true or false")
		return def
	}
	return b
}

// Duration declares a Go duration variable (e.g. 30s, 5m).
func Duration(name string, def time.Duration, desc string) time.Duration {
	raw := Get(name, def.String(), desc)
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		fail(name, raw, "a duration such as 30s or 5m")
		return def
	}
	return d
}

// List declares a comma-separated list variable.
func List(name, def, desc string) []string {
	var out []string
	for _, s := range strings.Split(Get(name, def, desc), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Check returns the problems found in the variables read so far.
func Check() error {
	mu.Lock()
	defer mu.Unlock()
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("configuration: %s", strings.Join(msgs, "; "))
}

// Print writes every declared variable with its default and description.
func Print(w io.Writer) {
	mu.Lock()
	defer mu.Unlock()
	names := make([]string, 0, len(declared))
	for n := range declared {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tDESCRIPTION")
	for _, n := range names {
		v := declared[n]
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.name, v.def, v.desc)
	}
	_ = tw.Flush()
}
