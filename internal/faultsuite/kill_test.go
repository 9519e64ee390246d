package faultsuite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/database/dbtest"
)

// queueTable is one queue's table and the database it is in.
type queueTable struct {
	queue, table string
	insights     bool
	// jitter bounds the random delay between seeing one of its jobs start and the kill;
	// 0: the kills are not aimed at the queue (its jobs are only noted when a kill
	// catches one), since a caught campaign plan delays the changesets behind it.
	jitter time.Duration
}

// The queues of the kill test.
var killQueues = []queueTable{
	{"insights_backfill", "insight_series_backfill", true, 1500 * time.Millisecond},
	{"codemonitor_triggers", "cm_trigger_jobs", false, 60 * time.Millisecond},
	{"codemonitor_actions", "cm_action_jobs", false, 300 * time.Millisecond},
	{"changesets", "changesets", false, 400 * time.Millisecond},
	{"campaign_jobs", "campaign_jobs", false, 0},
}

// inFlightJob is a job a killed worker held.
type inFlightJob struct {
	q        queueTable
	id       int64
	deadHost string
	killedAt time.Time
}

func (q queueTable) db(d *deployment) *pgxpool.Pool {
	if q.insights {
		return d.insightsDB
	}
	return d.mainDB
}

// processing lists the jobs of q that the worker with pid holds now.
func (q queueTable) processing(t testing.TB, d *deployment, pid int) []inFlightJob {
	rows, err := q.db(d).Query(context.Background(), `SELECT id, worker_hostname FROM `+q.table+` WHERE state = 'processing' AND worker_hostname LIKE $1`,
		fmt.Sprintf("%%-%d/%%", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []inFlightJob
	for rows.Next() {
		j := inFlightJob{q: q}
		if err := rows.Scan(&j.id, &j.deadHost); err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	return out
}

// resumed reports whether a killed worker's job is running again elsewhere or finished.
func (j inFlightJob) resumed(t testing.TB, d *deployment) bool {
	var state, host string
	if err := j.q.db(d).QueryRow(context.Background(), `SELECT state, worker_hostname FROM `+j.q.table+` WHERE id = $1`, j.id).Scan(&state, &host); err != nil {
		return false
	}
	return (state == "processing" && host != j.deadHost) || (state != "processing" && state != "queued" && state != "errored")
}

// TestKilledWorkers SIGKILLs workers at randomised points of each queue's jobs while
// code monitors deliver webhooks for a stream of pushes, an insight backfills, and a
// campaign runs its steps and pushes branches and pull requests; a fresh worker replaces
// each killed one. In the end every job has completed, every branch and pull request
// exists once, the insight's points equal git grep, and no notification was delivered
// under two delivery ids.
func TestKilledWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, mainURL := dbtest.New(t, dbtest.Main)
	_, insightsURL := dbtest.New(t, dbtest.CodeInsights)
	d := newDeployment(t, mainURL, insightsURL)
	d.startFrontend()
	d.openDBs()

	var mu sync.Mutex
	var current *proc // the worker that faults are aimed at
	workerN := 0
	startWorker := func() *proc {
		mu.Lock()
		defer mu.Unlock()
		workerN++
		current = d.startWorker(fmt.Sprintf("worker-%d", workerN))
		return current
	}
	var killed []inFlightJob
	kills := 0
	chaos := true           // faults are injected until the kill rounds are over
	hit := map[string]int{} // queue → kills that caught one of its jobs in flight
	// kill SIGKILLs w unless it is already dead, noting the jobs it held.
	kill := func(w *proc, why string) bool {
		mu.Lock()
		defer mu.Unlock()
		if !chaos || w.exited() {
			return false
		}
		var held []inFlightJob
		for _, q := range killQueues {
			held = append(held, q.processing(t, d, w.cmd.Process.Pid)...)
		}
		w.kill()
		now := time.Now()
		kills++
		var names []string
		for _, j := range held {
			j.killedAt = now
			killed = append(killed, j)
			hit[j.q.queue]++
			names = append(names, fmt.Sprintf("%s#%d", j.q.queue, j.id))
		}
		t.Logf("kill %d (%s): %s held %v", kills, why, w.name, names)
		return true
	}

	hitCount := func(queue string) int {
		mu.Lock()
		defer mu.Unlock()
		return hit[queue]
	}

	first := startWorker()
	first.waitReady(t, 30*time.Second)
	e := newEstate(t, d, 4, true)
	rc := startReceiver(t)
	rc.hold = 400 * time.Millisecond
	e.addMonitors(t, rc)

	// The fake GitHub kills the worker as it asks for a pull request, now and then: the
	// pull request is then created but never recorded by the worker that asked.
	e.gh.OnRequest(func(r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/pulls") || rand.N(2) == 0 {
			return
		}
		mu.Lock()
		w := current
		mu.Unlock()
		kill(w, "pull request requested")
	})

	viewID := e.addInsight(t, "needles")
	planID := e.startPlan(t)

	// Work keeps coming while workers die: a push every second (at least minPushes, and
	// on while faults are injected), and the campaign once its plan has finished.
	const minPushes, maxPushes = 6, 20
	stopPushing := make(chan struct{})
	var gen sync.WaitGroup
	gen.Add(1)
	go func() {
		defer gen.Done()
		campaign := false
		for i := 0; ; i++ {
			time.Sleep(time.Second)
			stopped := false
			select {
			case <-stopPushing:
				stopped = true
			default:
			}
			if i < maxPushes && (i < minPushes || !stopped) {
				e.push(t, i, i)
			}
			if !campaign && e.planState(planID) == "COMPLETED" {
				e.createCampaign(t, planID)
				campaign = true
			}
			if campaign && stopped && i >= minPushes-1 {
				return
			}
		}
	}()

	// Kill rounds: aim at a queue not caught in flight yet (once all were, at any), kill
	// its worker at a random moment after one of its jobs started, and start a fresh one.
	const minKills, maxKills = 4, 8
	allHit := func() bool {
		for _, q := range killQueues {
			if q.jitter > 0 && hitCount(q.queue) == 0 {
				return false
			}
		}
		return true
	}
	w := first
	for round := 0; round < maxKills; round++ {
		var target *queueTable
		deadline := time.Now().Add(15 * time.Second)
		for target == nil && time.Now().Before(deadline) && !w.exited() {
			anyQueue := allHit()
			for _, i := range rand.Perm(len(killQueues)) {
				q := killQueues[i]
				if q.jitter > 0 && (anyQueue || hitCount(q.queue) == 0) && len(q.processing(t, d, w.cmd.Process.Pid)) > 0 {
					target = &killQueues[i]
					break
				}
			}
			if target == nil {
				time.Sleep(10 * time.Millisecond)
			}
		}
		why := "no job of a wanted queue started within 15s"
		if target != nil {
			time.Sleep(rand.N(target.jitter + 1))
			why = "aimed at " + target.queue
		}
		kill(w, why)
		mu.Lock()
		enough := kills >= minKills
		mu.Unlock()
		if allHit() && enough {
			break
		}
		w = startWorker()
	}
	mu.Lock()
	chaos = false
	mu.Unlock()
	last := startWorker()
	close(stopPushing)
	gen.Wait()

	// The last worker finishes everything.
	finishStart := time.Now()
	var recoveries []time.Duration
	pending := append([]inFlightJob(nil), killed...)
	waitFor(t, "every job to complete after the faults", 120*time.Second, func() bool {
		for i := 0; i < len(pending); i++ {
			if pending[i].resumed(t, d) {
				recoveries = append(recoveries, time.Since(pending[i].killedAt))
				pending = append(pending[:i], pending[i+1:]...)
				i--
			}
		}
		notDone := count(t, d.mainDB, `SELECT
			(SELECT count(*) FROM cm_trigger_jobs WHERE state <> 'completed') +
			(SELECT count(*) FROM cm_action_jobs WHERE state <> 'completed') +
			(SELECT count(*) FROM campaign_jobs WHERE state <> 'completed') +
			(SELECT count(*) FROM changesets WHERE state <> 'completed' OR external_state IS NULL)`)
		notDone += count(t, d.insightsDB, `SELECT count(*) FROM insight_series_backfill WHERE backfill_state <> 'completed'`)
		_, _, _, problems := deliveryFigures(rc.all(), monitorNames, e.pushedCommits())
		return notDone == 0 && len(pending) == 0 && len(problems) == 0 &&
			count(t, d.mainDB, `SELECT count(*) FROM changesets`) == len(e.repos)
	})
	if last.exited() {
		t.Fatalf("the last worker died:\n%s", last.tail(30))
	}
	time.Sleep(time.Second) // late duplicates would arrive now

	notifications, redeliveries, duplicates, problems := deliveryFigures(rc.all(), monitorNames, e.pushedCommits())
	for _, p := range problems {
		t.Error(p)
	}
	points := e.checkInsightPoints(t, viewID)
	branches, pulls := e.checkCampaign(t)
	failed := count(t, d.mainDB, `SELECT
		(SELECT count(*) FROM cm_trigger_jobs WHERE state = 'failed') + (SELECT count(*) FROM cm_action_jobs WHERE state = 'failed') +
		(SELECT count(*) FROM campaign_jobs WHERE state = 'failed') + (SELECT count(*) FROM changesets WHERE state = 'failed')`)
	if failed != 0 {
		t.Errorf("%d jobs failed", failed)
	}
	jobs := map[string]int{}
	for _, q := range killQueues {
		jobs[q.queue] = count(t, q.db(d), `SELECT count(*) FROM `+q.table+` WHERE state = 'completed'`)
	}
	for _, q := range killQueues {
		if q.jitter > 0 && hit[q.queue] == 0 {
			t.Errorf("no kill caught a job of %s in flight", q.queue)
		}
	}
	var resets int
	for _, q := range killQueues {
		resets += count(t, q.db(d), `SELECT coalesce(sum(num_resets), 0) FROM `+q.table)
	}
	t.Logf("faults: %d workers killed (SIGKILL), %d jobs in flight at the kills %v; %d stalled-job resets", kills, len(killed), hit, resets)
	t.Logf("completed: jobs %v; %d pushes notified as %d notifications by %d monitors, %d redeliveries (same delivery id), %d duplicates (another id or notification)",
		jobs, len(e.pushedCommits()), notifications, len(monitorNames), redeliveries, duplicates)
	t.Logf("campaign: %d branches, %d pull requests for %d repositories; insight: %d points equal to git grep", branches, pulls, len(e.repos), points)
	t.Logf("recovery (kill → the job runs again on another worker or is done): %s; last worker finished everything %s after the last kill",
		durations(recoveries), time.Since(finishStart).Round(100*time.Millisecond))
	_ = ctx
}
