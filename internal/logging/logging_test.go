package logging_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/logging"
)

func TestFormat(t *testing.T) {
	line := `{"SeverityText":"INFO","Timestamp":1796664836885030503,"InstrumentationScope":"frontend.http","Caller":"httpapi/x.go:9","Function":"f","Body":"frontend listening","Resource":{"service.name":"lookout-frontend","service.instance.id":"ad16"},"Attributes":{"addr":"127.0.0.1:3080","console":"http://x/api/console","jobs":["a","b"],"n":3,"err":{"kind":"x y"},"empty":""}}` + "\n"
	got, ok := logging.Format([]byte(line))
	want := regexp.MustCompile(`^\d\d:\d\d:\d\d INFO  frontend\.http: frontend listening addr=127\.0\.0\.1:3080 console=http://x/api/console empty="" err\.kind="x y" jobs=\["a","b"\] n=3\n$`)
	if !ok || !want.Match(got) {
		t.Fatalf("Format: %q", got)
	}
	for _, notEntry := range []string{"\n", "  Site admin created with password: x\n", `{"not":"a log entry"}` + "\n", "{broken\n"} {
		if out, ok := logging.Format([]byte(notEntry)); ok {
			t.Errorf("Format(%q) = %q, want it left alone", notEntry, out)
		}
	}
	var b bytes.Buffer
	logging.Rewrite(&b, strings.NewReader("plain text\n"+line+"no newline at the end"))
	lines := strings.Split(b.String(), "\n")
	if len(lines) != 3 || lines[0] != "plain text" || !want.MatchString(lines[1]+"\n") || lines[2] != "no newline at the end" {
		t.Fatalf("Rewrite: %q", b.String())
	}
}

// TestHumanFormatEndToEnd runs Init in a child process (the library initialises once per
// process) and reads what reaches its standard error.
func TestHumanFormatEndToEnd(t *testing.T) {
	if os.Getenv("LOGGING_TEST_CHILD") == "1" {
		flush := logging.Init("lookout-test")
		logger := log.Scoped("worker")
		logger.Info("worker running", log.String("addr", "127.0.0.1:3081"), log.Strings("jobs", []string{"repos", "janitor"}))
		logger.Debug("starting routine", log.String("routine", "repo_fetch-worker"))
		fmt.Fprintln(os.Stderr, "  a line that is not a log entry")
		logger.Warn("slow", log.Int("ms", 1500))
		flush()
		return
	}
	for _, tc := range []struct {
		env  []string
		want []string
	}{
		{[]string{"SRC_LOG_FORMAT=human", "SRC_LOG_LEVEL=info"}, []string{
			`^\d\d:\d\d:\d\d INFO  worker: worker running addr=127\.0\.0\.1:3081 jobs=\["repos","janitor"\]$`,
			`^  a line that is not a log entry$`,
			`^\d\d:\d\d:\d\d WARN  worker: slow ms=1500$`,
		}},
		{[]string{"SRC_LOG_FORMAT=json", "SRC_LOG_LEVEL=debug"}, []string{
			`^\{"SeverityText":"INFO",.*"Body":"worker running"`,
			`^\{"SeverityText":"DEBUG",.*"Body":"starting routine"`,
			`^  a line that is not a log entry$`,
			`^\{"SeverityText":"WARN",.*"Body":"slow"`,
		}},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHumanFormatEndToEnd$")
		cmd.Env = append(os.Environ(), append(tc.env, "LOGGING_TEST_CHILD=1")...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", tc.env, err, stderr.String())
		}
		lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
		if len(lines) != len(tc.want) {
			t.Fatalf("%v: %d lines, want %d:\n%s", tc.env, len(lines), len(tc.want), stderr.String())
		}
		for i, re := range tc.want {
			if !regexp.MustCompile(re).MatchString(lines[i]) {
				t.Errorf("%v line %d: %q does not match %s", tc.env, i, lines[i], re)
			}
		}
	}
}
