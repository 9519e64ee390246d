package executor

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDeadWorkerHelper is the worker of TestStepDiesWithWorker, run in a
// child process: it starts a step and waits to be killed.
func TestDeadWorkerHelper(t *testing.T) {
	root := os.Getenv("LOOKOUT_EXECUTOR_HELPER_ROOT")
	if root == "" {
		t.Skip("helper process for TestStepDiesWithWorker")
	}
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	r, err := NewRunner(Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	var sink watchSink
	sink.onLine = func(l LogLine) { fmt.Printf("%s\n", l.Text) }
	_, _ = r.Run(testContext(t), f.source(), Spec{Steps: []Step{{Run: "echo step $$\nexec sleep 1000"}}}, &sink)
}

// A worker killed mid-step takes the step with it, and the next worker's
// janitor removes the workspace it left.
func TestStepDiesWithWorker(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	worker := exec.Command(os.Args[0], "-test.run=^TestDeadWorkerHelper$", "-test.v")
	worker.Env = append(os.Environ(), "LOOKOUT_EXECUTOR_HELPER_ROOT="+root)
	stdout, err := worker.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	defer worker.Process.Kill()
	pid := 0
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "step "); ok {
			pid, _ = strconv.Atoi(rest)
			break
		}
	}
	if pid == 0 {
		t.Fatal("the helper never started its step")
	}
	if err := worker.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	if running(pid) {
		t.Errorf("step %d survived its worker", pid)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Fatalf("workspaces after the crash: %v", entries)
	}
	time.Sleep(10 * time.Millisecond)
	if n, err := RemoveStale(root, time.Millisecond); n != 1 || err != nil {
		t.Errorf("RemoveStale = %d, %v", n, err)
	}
}
