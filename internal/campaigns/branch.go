package campaigns

import (
	"context"
	"fmt"
	"strconv"
)

// MaxBranchSuffix bounds the search for a free branch name.
const MaxBranchSuffix = 100

// ChooseBranch returns base when it is free, else the first free base-1, base-2, ...
// taken reports whether a branch exists (on the remote, or chosen by another changeset).
// The caller stores the result once, so retries reuse it.
func ChooseBranch(ctx context.Context, base string, taken func(ctx context.Context, branch string) (bool, error)) (string, error) {
	for i := 0; i <= MaxBranchSuffix; i++ {
		name := base
		if i > 0 {
			name = base + "-" + strconv.Itoa(i)
		}
		used, err := taken(ctx, name)
		if err != nil {
			return "", fmt.Errorf("checking whether branch %s exists: %w", name, err)
		}
		if !used {
			return name, nil
		}
	}
	return "", fmt.Errorf("branches %s to %s-%d are all taken", base, base, MaxBranchSuffix)
}
