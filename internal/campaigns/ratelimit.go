package campaigns

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rates are the publish rate limits per code host: how often a campaign may open a pull
// request on one host, so a large campaign does not trip the host's abuse limits.
type Rates struct {
	def    rate
	byHost map[string]rate
}

type rate struct {
	interval  time.Duration // between two publishes; 0 is unlimited
	unlimited bool
}

// DefaultPublishRate keeps under GitHub's documented limits on content creation (80 a
// minute, 500 an hour).
const DefaultPublishRate = "8/minute"

// ParseRates reads a comma-separated list of rates, each "N/unit" (unit second, minute,
// hour or day) or "unlimited", optionally prefixed with "host=" to apply to one code host
// only (its host name, as in repository names). The entry without a host is the default:
//
//	8/minute, github.example.com=30/hour, gitlab.example.com=unlimited
func ParseRates(s string) (Rates, error) {
	r := Rates{byHost: map[string]rate{}}
	def, err := parseRate(DefaultPublishRate)
	if err != nil {
		return r, err
	}
	r.def = def
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		host, spec, hasHost := strings.Cut(entry, "=")
		if !hasHost {
			spec, host = host, ""
		}
		rt, err := parseRate(spec)
		if err != nil {
			return r, err
		}
		if host = strings.ToLower(strings.TrimSpace(host)); host == "" {
			r.def = rt
		} else {
			r.byHost[host] = rt
		}
	}
	return r, nil
}

// Unlimited is Rates that never delay a publish.
func Unlimited() Rates { return Rates{def: rate{unlimited: true}} }

func parseRate(s string) (rate, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "unlimited" || s == "inf" {
		return rate{unlimited: true}, nil
	}
	num, unit, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if !ok || err != nil || n <= 0 {
		return rate{}, fmt.Errorf("publish rate %q is not N/unit (like 8/minute) or unlimited", s)
	}
	var per time.Duration
	switch strings.TrimSpace(unit) {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	case "d", "day":
		per = 24 * time.Hour
	default:
		return rate{}, fmt.Errorf("publish rate %q: unit must be second, minute, hour or day", s)
	}
	return rate{interval: per / time.Duration(n)}, nil
}

// For returns the time between two publishes on host; limited is false when there is no
// limit.
func (r Rates) For(host string) (interval time.Duration, limited bool) {
	rt, ok := r.byHost[strings.ToLower(host)]
	if !ok {
		rt = r.def
	}
	if rt.unlimited || rt.interval <= 0 {
		return 0, false
	}
	return rt.interval, true
}
