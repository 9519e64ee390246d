package insights

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// Filters are a view's repository filters: names matching IncludeRepoRegex and not
// ExcludeRepoRegex, in one of SearchContexts when any are given.
type Filters struct {
	IncludeRepoRegex string
	ExcludeRepoRegex string
	SearchContexts   []string
}

// Access returns the repositories a read counts for viewer with filters: those the
// viewer may see (live, and public or granted) that pass the filters, in the smaller
// of its two forms (the excluded ones, or the included ones when most are excluded).
// This is the one place query-time permissions are decided.
func Access(ctx context.Context, main *store.Store, viewer store.Viewer, f Filters) (store.RepoSet, error) {
	return NewAccessCache(main, viewer).Get(ctx, f)
}

// AccessCache answers Access for one viewer and several filters (one request), reading
// the repository list once.
type AccessCache struct {
	main   *store.Store
	viewer store.Viewer

	mu    sync.Mutex
	repos []store.RepoAccess
	sets  map[string]store.RepoSet
}

// NewAccessCache returns an empty cache.
func NewAccessCache(main *store.Store, viewer store.Viewer) *AccessCache {
	return &AccessCache{main: main, viewer: viewer, sets: map[string]store.RepoSet{}}
}

// Get returns the repository set of filters.
func (c *AccessCache) Get(ctx context.Context, f Filters) (store.RepoSet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := f.IncludeRepoRegex + "\x00" + f.ExcludeRepoRegex + "\x00" + strings.Join(f.SearchContexts, "\x00")
	if set, ok := c.sets[key]; ok {
		return set, nil
	}
	var include, exclude *regexp.Regexp
	var err error
	if f.IncludeRepoRegex != "" {
		if include, err = regexp.Compile(f.IncludeRepoRegex); err != nil {
			return store.RepoSet{}, invalid("invalid includeRepoRegex: %v", err)
		}
	}
	if f.ExcludeRepoRegex != "" {
		if exclude, err = regexp.Compile(f.ExcludeRepoRegex); err != nil {
			return store.RepoSet{}, invalid("invalid excludeRepoRegex: %v", err)
		}
	}
	var contexts []query.Plan
	load := StoreContexts(c.main)
	for _, name := range f.SearchContexts {
		name = strings.TrimPrefix(strings.TrimSpace(name), "context:")
		if name == "" || name == "global" {
			continue
		}
		plan, err := load(ctx, name)
		if err != nil {
			return store.RepoSet{}, err
		}
		contexts = append(contexts, plan)
	}
	if c.repos == nil {
		if c.repos, err = c.main.InsightsRepoAccess(ctx, c.viewer); err != nil {
			return store.RepoSet{}, fmt.Errorf("reading repository permissions: %w", err)
		}
	}
	var in, out []int64
	for _, r := range c.repos {
		ok := r.Visible && (include == nil || include.MatchString(r.Name)) && (exclude == nil || !exclude.MatchString(r.Name))
		if ok && len(contexts) > 0 {
			ok = false
			for _, plan := range contexts {
				for _, b := range plan {
					ok = ok || basicAdmits(b, r.Name, r.Fork, r.Archive, r.Private)
				}
			}
		}
		if ok {
			in = append(in, r.ID)
		} else {
			out = append(out, r.ID)
		}
	}
	set := store.RepoSet{IDs: out}
	if len(out) > len(in) {
		set = store.RepoSet{Include: true, IDs: in}
	}
	c.sets[key] = set
	return set, nil
}

// Display says which series a view shows and how many points.
type Display struct {
	SortMode      string // RESULT_COUNT, LEXICOGRAPHICAL, DATE_ADDED; "" keeps the view's order
	SortDirection string // ASC or DESC
	Limit         *int   // DefaultSeriesLimit when nil
	NumSamples    *int   // all points when nil
}

// Sort modes and directions.
const (
	SortResultCount     = "RESULT_COUNT"
	SortLexicographical = "LEXICOGRAPHICAL"
	SortDateAdded       = "DATE_ADDED"
	Asc                 = "ASC"
	Desc                = "DESC"
)

// DefaultSeriesLimit is the number of series a view shows without a limit.
const DefaultSeriesLimit = 20

// MaxNumSamples bounds numSamples.
const MaxNumSamples = 90

// Point is a value at a time.
type Point struct {
	Time  time.Time
	Value float64
}

// SeriesData is one series of a view as shown: a stored series, or one captured value
// (group, language) of it.
type SeriesData struct {
	// ID is the stored series id, with "-<value>" for a captured value.
	ID     string
	Label  string
	Series *store.ViewSeries
	// Capture is the captured value; nil for a plain series.
	Capture *string
	Points  []Point
}

// ViewData is a view's series as shown, with the number of series before the limit.
type ViewData struct {
	Series      []*SeriesData
	SeriesCount int
}

// dynamic reports whether a stored series shows as one series per value.
func dynamic(s *store.InsightSeries) bool {
	return s.GeneratedFromCaptureGroups || s.GroupBy != "" || s.GenerationMethod == store.GenerationLanguageStats
}

// ReadView assembles the series of a view: points of the repositories access admits,
// each captured value as its own series, zero at the series' recording times where a
// series has no value, the newest NumSamples points, sorted and limited.
func ReadView(ctx context.Context, is *store.InsightsStore, series []*store.ViewSeries, access store.RepoSet, d Display) (*ViewData, error) {
	if len(series) == 0 {
		return &ViewData{}, nil
	}
	ids := make([]int, 0, len(series))
	seen := map[int]bool{}
	for _, vs := range series {
		if !seen[vs.Series.ID] {
			seen[vs.Series.ID] = true
			ids = append(ids, vs.Series.ID)
		}
	}
	pts, err := is.ReadPoints(ctx, ids, access)
	if err != nil {
		return nil, fmt.Errorf("reading points: %w", err)
	}
	times, err := is.RecordingTimes(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reading recording times: %w", err)
	}
	// series id → capture → time → value
	values := map[int]map[string]map[time.Time]float64{}
	for _, p := range pts {
		byCap := values[p.SeriesID]
		if byCap == nil {
			byCap = map[string]map[time.Time]float64{}
			values[p.SeriesID] = byCap
		}
		byTime := byCap[p.Capture]
		if byTime == nil {
			byTime = map[time.Time]float64{}
			byCap[p.Capture] = byTime
		}
		byTime[p.Time] += p.Value
	}
	var out []*SeriesData
	for _, vs := range series {
		s := vs.Series
		byCap := values[s.ID]
		if !dynamic(s) {
			out = append(out, &SeriesData{ID: s.SeriesID, Label: vs.Label, Series: vs, Points: fill(times[s.ID], byCap[""])})
			continue
		}
		caps := make([]string, 0, len(byCap))
		for c := range byCap {
			caps = append(caps, c)
		}
		sort.Strings(caps)
		for _, c := range caps {
			c := c
			out = append(out, &SeriesData{ID: s.SeriesID + "-" + c, Label: c, Series: vs, Capture: &c, Points: fill(times[s.ID], byCap[c])})
		}
	}
	if d.NumSamples != nil && *d.NumSamples > 0 {
		n := min(*d.NumSamples, MaxNumSamples)
		for _, sd := range out {
			if len(sd.Points) > n {
				sd.Points = sd.Points[len(sd.Points)-n:]
			}
		}
	}
	sortSeries(out, d)
	res := &ViewData{SeriesCount: len(out)}
	limit := DefaultSeriesLimit
	if d.Limit != nil && *d.Limit > 0 {
		limit = *d.Limit
	}
	if len(out) > limit {
		out = out[:limit]
	}
	res.Series = out
	return res, nil
}

// fill returns the points at every recording time (zero where there is no value) and
// at any other time with a value, oldest first.
func fill(times []time.Time, vals map[time.Time]float64) []Point {
	all := map[time.Time]bool{}
	for _, t := range times {
		all[t] = true
	}
	for t := range vals {
		all[t] = true
	}
	out := make([]Point, 0, len(all))
	for t := range all {
		out = append(out, Point{Time: t, Value: vals[t]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func newest(sd *SeriesData) float64 {
	if len(sd.Points) == 0 {
		return 0
	}
	return sd.Points[len(sd.Points)-1].Value
}

func sortSeries(out []*SeriesData, d Display) {
	mode, desc := d.SortMode, d.SortDirection != Asc
	if mode == "" {
		// The view's order for its own series; captured values largest first.
		sort.SliceStable(out, func(i, j int) bool {
			a, b := out[i], out[j]
			if a.Series != b.Series || a.Capture == nil {
				return false
			}
			return newest(a) > newest(b)
		})
		return
	}
	less := func(a, b *SeriesData) int {
		switch mode {
		case SortResultCount:
			switch va, vb := newest(a), newest(b); {
			case va < vb:
				return -1
			case va > vb:
				return 1
			}
		case SortDateAdded:
			if c := a.Series.Series.CreatedAt.Compare(b.Series.Series.CreatedAt); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Label, b.Label)
	}
	sort.SliceStable(out, func(i, j int) bool {
		c := less(out[i], out[j])
		if desc {
			return c > 0
		}
		return c < 0
	})
}

// OtherLabel is the slice of a pie chart that holds the values under its threshold.
const OtherLabel = "Other"

// PieSlice is a value of a pie chart.
type PieSlice struct {
	Label string
	Value float64
	// Members are the captured values (languages, groups) the slice is made of: its
	// label, or for Other every value under the threshold.
	Members []string
}

// Pie turns a language (or group) series into slices at its newest time: values whose
// share is below threshold (a fraction, 0.03 for 3%) go into one Other slice.
func Pie(data []*SeriesData, threshold float64) []PieSlice {
	var total float64
	for _, sd := range data {
		total += newest(sd)
	}
	var out []PieSlice
	other := PieSlice{Label: OtherLabel}
	for _, sd := range data {
		v := newest(sd)
		if v <= 0 {
			continue
		}
		member := sd.Label
		if sd.Capture != nil {
			member = *sd.Capture
		}
		if total > 0 && v/total < threshold {
			other.Value += v
			other.Members = append(other.Members, member)
			continue
		}
		out = append(out, PieSlice{Label: sd.Label, Value: v, Members: []string{member}})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Value > out[j].Value })
	if other.Value > 0 {
		out = append(out, other)
	}
	return out
}

// ValidateFilters checks a view's filters before they are saved as its defaults: the
// regular expressions must compile and the search contexts exist (a default that
// cannot be read would fail every read of the view).
func ValidateFilters(ctx context.Context, contexts ContextLoader, f Filters) error {
	if _, err := regexp.Compile(f.IncludeRepoRegex); err != nil {
		return invalid("invalid includeRepoRegex: %v", err)
	}
	if _, err := regexp.Compile(f.ExcludeRepoRegex); err != nil {
		return invalid("invalid excludeRepoRegex: %v", err)
	}
	for _, name := range f.SearchContexts {
		name = strings.TrimPrefix(strings.TrimSpace(name), "context:")
		if name == "" || name == "global" {
			continue
		}
		if contexts == nil {
			return invalid("search contexts are not available here")
		}
		if _, err := contexts(ctx, name); err != nil {
			return err
		}
	}
	return nil
}
