package vcs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseUnifiedDiff(t *testing.T) {
	patch := "diff --git a/README.md b/README.md\nindex 1111111..2222222 100644\n--- a/README.md\n+++ b/README.md\n@@ -1,2 +1,2 @@\n This is app.\n-It uses foo.\n+It uses bar.\n" +
		"diff --git a/new.txt b/new.txt\nnew file mode 100644\nindex 0000000..3333333\n--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+--- not a header\n+two\n\\ No newline at end of file\n" +
		"diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n"
	files, truncated := ParseUnifiedDiff(patch, 0)
	if truncated || len(files) != 3 {
		t.Fatalf("%d files, truncated %v", len(files), truncated)
	}
	type file struct {
		Path           string
		Status         FileStatus
		Added, Deleted int
	}
	var got []file
	var total DiffStat
	for i := range files {
		var s DiffStat
		s.Add(&files[i])
		total.Add(&files[i])
		got = append(got, file{files[i].Path(), files[i].Status, s.Added, s.Deleted})
	}
	want := []file{{"README.md", FileModified, 1, 1}, {"new.txt", FileAdded, 2, 0}, {"old.txt", FileDeleted, 0, 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	if total != (DiffStat{Added: 3, Deleted: 2}) || StatOf(patch) != total {
		t.Fatalf("total %+v, StatOf %+v", total, StatOf(patch))
	}
	// A byte limit drops the later hunks and says so; the files are all listed.
	cut, truncated := ParseUnifiedDiff(patch, 40)
	if !truncated || len(cut) != 3 || len(cut[2].Hunks) != 0 {
		t.Fatalf("with a limit: truncated %v, %d files %+v", truncated, len(cut), cut)
	}
}
