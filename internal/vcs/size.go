package vcs

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
)

// DiskSize is the size of the mirror's objects (packs and loose objects), in bytes:
// what reading its history costs, which orders work over many repositories cheapest
// first.
func (m *Mirror) DiskSize(ctx context.Context) (int64, error) {
	out, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, args: []string{"count-objects", "-v"}})
	if err != nil {
		return 0, fmt.Errorf("measuring %s: %w", m.name, err)
	}
	return parseCountObjects(out)
}

// parseCountObjects sums the loose and packed sizes (in KiB) of `git count-objects -v`.
func parseCountObjects(out []byte) (int64, error) {
	var kib int64
	seen := 0
	for _, line := range bytes.Split(out, []byte{'\n'}) {
		k, v, ok := bytes.Cut(line, []byte(": "))
		if !ok || (string(k) != "size" && string(k) != "size-pack") {
			continue
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected count-objects line %q", line)
		}
		kib += n
		seen++
	}
	if seen != 2 {
		return 0, fmt.Errorf("unexpected count-objects output %q", out)
	}
	return kib << 10, nil
}
