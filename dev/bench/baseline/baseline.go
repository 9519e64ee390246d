// Package baseline runs what the search benchmarks measure Lookout against, the same way
// in each of them: git grep -c at a revision of a (bare) repository.
package baseline

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// GitGrepCount sums git grep -c -I (lines holding a match) with args at rev.
func GitGrepCount(dir string, args []string, rev string) (int, error) {
	cmd := exec.Command("git", append(append([]string{"-C", dir, "grep", "-c", "-I"}, args...), rev)...)
	out, err := cmd.Output()
	if err != nil && len(out) > 0 {
		return 0, err // exit status 1 with no output is "no match"
	}
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		n, err := strconv.Atoi(line[strings.LastIndexByte(line, ':')+1:])
		if err != nil {
			return 0, fmt.Errorf("git grep output %q", line)
		}
		total += n
	}
	return total, nil
}
