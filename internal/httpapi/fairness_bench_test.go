package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/httpapi"
	"github.com/lookout/lookout/internal/throttle"
)

// BenchmarkCurrentUserUnderSearchLoad measures what one user's searches cost another:
// the latency of user B's { currentUser } while user A keeps sending the most
// expensive request the API accepts (as many aliased regex searches without a literal
// as an operation may hold, over a 20 MB repository, from three connections at once),
// against the same requests with A idle. The rounds alternate (idle, loaded, idle, ...)
// so that other load on the machine falls on both; min / median / max are printed over
// every request and over the rounds' medians. gate=default is the per-user gate as
// shipped; gate=off lets all of A's searches run at once, as before it existed. Run with
//
//	go test -run '^$' -bench CurrentUserUnderSearchLoad -benchtime 5x ./internal/httpapi
//
// (each iteration is one idle and one loaded round; at least 5 of each are run).
func BenchmarkCurrentUserUnderSearchLoad(b *testing.B) {
	dir := bigRepo(b, 20<<20)
	b.Run("gate=default", func(b *testing.B) {
		fairnessRounds(b, dir, throttle.NewGate(throttle.DefaultPerUser, throttle.DefaultWait))
	})
	b.Run("gate=off", func(b *testing.B) {
		fairnessRounds(b, dir, throttle.NewGate(1000, throttle.DefaultWait))
	})
}

func fairnessRounds(b *testing.B, dir string, gate *throttle.Gate) {
	e := searchEnvWithRepo(b, gate, dir)
	alice, aToken := e.CreateUser(b, "alice", false)
	_, bToken := e.CreateUser(b, "bob", false)
	// Every search of A's differs, so that no cached count answers it.
	var serial atomic.Int64
	worst := func() string {
		var sb strings.Builder
		sb.WriteString("{")
		for i := range httpapi.DefaultMaxExpensiveFields {
			fmt.Fprintf(&sb, ` s%d: search(query: "/[a-z]{3}[0-9]{2}[a-z]{2}q|nomatch%d/ count:all") { results { matchCount } }`, i, serial.Add(1))
		}
		return sb.String() + " }"
	}
	start := time.Now()
	one := `{ search(query: "/[a-z]{3}[0-9]{2}[a-z]{2}q|nomatch/ count:all") { results { matchCount } } }`
	if r := e.Do(b, aToken, one, nil); r.Status != http.StatusOK || len(r.Errors) > 0 {
		b.Fatalf("A's search fails: %d %+v", r.Status, r.Errors)
	}
	b.Logf("one of A's searches alone: %s", time.Since(start).Round(time.Millisecond))

	const perRound = 10
	var idle, loaded [][]time.Duration
	var aDone, aLimited int
	var stops []time.Duration // from A's cancellation to the end of A's searches
	pair := func() {
		idle = append(idle, currentUserLatencies(b, e, bToken, perRound))

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					_, ok, limited := postQuery(ctx, e, aToken, worst())
					mu.Lock()
					if ok {
						aDone++
					}
					aLimited += limited
					mu.Unlock()
				}
			}()
		}
		time.Sleep(300 * time.Millisecond) // A's searches are running
		loaded = append(loaded, currentUserLatencies(b, e, bToken, perRound))
		cancel()
		cancelled := time.Now()
		wg.Wait()
		// The next idle round starts when A's searches have noticed the cancellation.
		for gate.Active(alice.ID) > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		stops = append(stops, time.Since(cancelled))
	}
	for b.Loop() {
		pair()
	}
	for len(idle) < 5 {
		pair()
	}

	all := func(rounds [][]time.Duration) []time.Duration { return slices.Concat(rounds...) }
	medians := func(rounds [][]time.Duration) []time.Duration {
		out := make([]time.Duration, len(rounds))
		for i, r := range rounds {
			out[i] = stats(r)[1]
		}
		return out
	}
	b.Logf("{ currentUser } latency of user B, %d rounds of %d requests each, alternating (A's searches at once: at most %d):", len(idle), perRound, gate.PerUser())
	b.Logf("  A idle:    all requests %s; round medians %s", fmtStats(stats(all(idle))), fmtStats(stats(medians(idle))))
	b.Logf("  A loading: all requests %s; round medians %s", fmtStats(stats(all(loaded))), fmtStats(stats(medians(loaded))))
	b.Logf("  A's requests meanwhile: %d answered, %d of their searches refused with RATE_LIMITED; A's searches stopped %s after A went away",
		aDone, aLimited, fmtStats(stats(stops)))
	s := stats(all(loaded))
	b.ReportMetric(float64(s[1].Microseconds())/1000, "loaded-median-ms")
	b.ReportMetric(float64(s[2].Microseconds())/1000, "loaded-max-ms")
	b.ReportMetric(float64(stats(all(idle))[1].Microseconds())/1000, "idle-median-ms")
}

// currentUserLatencies sends n { currentUser } requests one after the other, 100 ms
// apart so that a round samples two seconds of the other user's load.
func currentUserLatencies(b *testing.B, e *apitest.Env, token string, n int) []time.Duration {
	out := make([]time.Duration, 0, n)
	for i := range n {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		start := time.Now()
		r := e.Do(b, token, `{ currentUser { username } }`, nil)
		out = append(out, time.Since(start))
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			b.Fatalf("currentUser: %d %+v", r.Status, r.Errors)
		}
	}
	return out
}

// postQuery sends a query with ctx and reports the first error code, whether the
// request was answered, and how many of its fields were refused with RATE_LIMITED.
func postQuery(ctx context.Context, e *apitest.Env, token, q string) (string, bool, int) {
	body := fmt.Sprintf(`{"query": %q}`, q)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.Server.URL+httpapi.GraphQLPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "token "+token)
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		return "", false, 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	code := ""
	if _, rest, ok := strings.Cut(string(raw), `"code":"`); ok {
		code, _, _ = strings.Cut(rest, `"`)
	}
	return code, resp.StatusCode == http.StatusOK, strings.Count(string(raw), `"RATE_LIMITED"`)
}

// stats returns min, median and max.
func stats(ds []time.Duration) [3]time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return [3]time.Duration{s[0], s[len(s)/2], s[len(s)-1]}
}

func fmtStats(s [3]time.Duration) string {
	r := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
	return fmt.Sprintf("min %s / median %s / max %s", r(s[0]), r(s[1]), r(s[2]))
}

// bigRepo commits about size bytes of generated Go-like source in 128 KB files.
func bigRepo(tb testing.TB, size int) string {
	tb.Helper()
	repo := gittest.NewRepo(tb)
	rng := rand.New(rand.NewSource(1))
	words := []string{"alpha", "beta", "gamma", "delta", "value", "count", "index", "buffer", "result", "err", "ctx", "name"}
	const fileSize = 128 << 10
	for i := 0; i*fileSize < size; i++ {
		var sb strings.Builder
		fmt.Fprintf(&sb, "package gen%d\n\n", i)
		for sb.Len() < fileSize {
			fmt.Fprintf(&sb, "\t%s%d := %s(%s, %d) // %s %s\n", words[rng.Intn(len(words))], rng.Intn(1000),
				words[rng.Intn(len(words))], words[rng.Intn(len(words))], rng.Intn(100000), words[rng.Intn(len(words))], words[rng.Intn(len(words))])
		}
		p := filepath.Join(repo.Dir, fmt.Sprintf("pkg%02d", i%16), fmt.Sprintf("gen%03d.go", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	repo.Git("add", "-A")
	repo.Git("commit", "-q", "-m", "generated")
	return repo.Dir
}
