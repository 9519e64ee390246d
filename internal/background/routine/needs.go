package routine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lookout/lookout/internal/database"
)

// Need is how many connections one part of the worker (a queue's handlers, a periodic
// routine) may hold at once on one of its databases: one per handler and one per periodic
// routine, since no code path holds a connection while it waits for another.
//
// The worker sizes its pools from the needs of the jobs it runs before it opens them (the
// routines are built on the opened pools), so every job declares its needs next to the
// function that builds its routines; the routines report the same numbers once built
// (Needs), and a test in cmd/worker holds the two to each other.
type Need struct {
	// Part is the queue's name or the periodic routine's.
	Part string
	// Insights marks a need on the insights database; otherwise it is on the main one.
	Insights bool
	Conns    int
}

// QueueNeed is the need of queue q's handlers: q.Handlers unless
// WORKER_<QUEUE>_CONCURRENCY says otherwise, as NewQueue gives them.
func QueueNeed(q QueueInfo, insights bool) Need {
	return Need{Part: q.Name, Insights: insights, Conns: Concurrency(q.Name, max(q.Handlers, 1))}
}

// PeriodicNeed is the need of one periodic routine.
func PeriodicNeed(name string, insights bool) Need {
	return Need{Part: name, Insights: insights, Conns: 1}
}

// needer is a routine that knows its need.
type needer interface{ need() Need }

// Needs lists what built routines say they may hold (routines that hold no pooled
// connection, like the listener, say nothing).
func Needs(rs []Routine) []Need {
	var out []Need
	for _, r := range rs {
		if n, ok := r.(needer); ok {
			out = append(out, n.need())
		}
	}
	return out
}

// PoolSizes sums needs per database and adds database.Headroom to each.
func PoolSizes(needs []Need) (main, insights database.Size) {
	size := func(insightsDB bool) database.Size {
		total, parts := 0, map[string]int{}
		for _, n := range needs {
			if n.Insights == insightsDB {
				total += n.Conns
				parts[n.Part] += n.Conns
			}
		}
		names := make([]string, 0, len(parts))
		for p := range parts {
			names = append(names, p)
		}
		sort.Strings(names)
		desc := make([]string, 0, len(names)+1)
		for _, p := range names {
			desc = append(desc, fmt.Sprintf("%s %d", p, parts[p]))
		}
		desc = append(desc, fmt.Sprintf("headroom %d", database.Headroom))
		return database.Size{MaxConns: int32(total + database.Headroom), SizedFrom: strings.Join(desc, ", ")}
	}
	return size(false), size(true)
}
