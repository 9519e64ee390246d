package executor

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/vcs"
)

// BenchmarkRun measures a whole run (checkout, one step editing one file,
// diff, removal) by repository size, which is what a campaign over many
// repositories pays per repository.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{100, 5000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			files := make(map[string]string, n)
			for i := 0; i < n; i++ {
				files[fmt.Sprintf("dir%02d/file%05d.txt", i%50, i)] = fmt.Sprintf("line one of %d\nline two\n", i)
			}
			repo := gittest.NewRepo(b)
			base := repo.Commit(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "", "initial", files)
			cache, err := vcs.NewCache(b.TempDir(), vcs.Options{AllowLocal: true, Logger: logtest.Scoped(b)})
			if err != nil {
				b.Fatal(err)
			}
			m, err := cache.EnsureCloned(context.Background(), vcs.Repo{Name: "bench", URL: repo.Dir})
			if err != nil {
				b.Fatal(err)
			}
			r, err := NewRunner(Config{Root: filepath.Join(b.TempDir(), "ws"), Logger: logtest.Scoped(b)})
			if err != nil {
				b.Fatal(err)
			}
			spec := Spec{Steps: []Step{{Run: "echo changed >> dir00/file00000.txt"}}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := r.Run(context.Background(), Source{GitDir: m.Dir(), Revision: base}, spec, nil)
				if err != nil || len(res.Diff) == 0 {
					b.Fatalf("Run: %v (diff %d bytes)", err, len(res.Diff))
				}
			}
		})
	}
}
