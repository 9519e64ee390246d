package query

import "testing"

var benchQueries = []string{
	`type:diff repo:^github\.com/acme/ lang:go exec.Command(`,
	`repo:foo@main:release-1.2 file:\.go$ -file:_test\.go$ /fmt\.Errorf\("(\w+)/ case:yes`,
	`type:commit author:alice after:"2 weeks ago" message:"fix bug" count:all`,
	`(foo OR bar) AND NOT baz lang:python`,
	`(a OR lang:go) (b OR lang:python) repo:x`,
}

func BenchmarkParse(b *testing.B) {
	opts := Options{Now: testNow}
	b.ReportAllocs()
	for b.Loop() {
		for _, q := range benchQueries {
			if _, err := ParseWith(q, opts); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkString(b *testing.B) {
	var plans []Plan
	for _, q := range benchQueries {
		p, err := ParseWith(q, Options{Now: testNow})
		if err != nil {
			b.Fatal(err)
		}
		plans = append(plans, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range plans {
			_ = p.String()
		}
	}
}
