package query

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type validCase struct {
	query string
	pt    PatternType // the API's default pattern type, "" for standard
	want  Plan
	str   string // the canonical form (Plan.String)
}

var validCases = []validCase{
	// Patterns.
	{query: `foo`, want: Plan{basic(lit("foo"))}, str: `foo`},
	{query: `foo bar`, want: Plan{basic(and(lit("foo"), lit("bar")))}, str: `foo bar`},
	{query: `"foo bar"`, want: Plan{basic(lit("foo bar"))}, str: `"foo bar"`},
	{query: `'foo bar'`, want: Plan{basic(lit("foo bar"))}, str: `"foo bar"`},
	{query: `"a \"b\" \\ c\n\x"`, want: Plan{basic(lit("a \"b\" \\ c\n\\x"))}, str: `"a \"b\" \\ c\n\\x"`},
	{query: `'it\'s'`, want: Plan{basic(lit("it's"))}, str: `it's`},
	{query: `/foo.*bar/`, want: Plan{basic(re("foo.*bar"))}, str: `/foo.*bar/`},
	{query: `/foo bar/`, want: Plan{basic(re("foo bar"))}, str: `/foo bar/`},
	{query: `/a\/b/`, want: Plan{basic(re("a/b"))}, str: `/a\/b/`},
	{query: `//`, want: Plan{basic(lit("//"))}, str: `"//"`},
	{query: `patterntype:regexp / \/`, want: Plan{typed(PatternTypeRegexp, basic(and(re("/"), re("/"))))}, str: `patterntype:regexp /\// /\//`},
	{query: `// TODO`, want: Plan{basic(and(lit("//"), lit("TODO")))}, str: `"//" TODO`},
	{query: `/usr/bin/env`, want: Plan{basic(lit("/usr/bin/env"))}, str: `"/usr/bin/env"`},
	{query: `-foo`, want: Plan{basic(lit("-foo"))}, str: `-foo`},
	{query: `exec.Command(`, want: Plan{basic(lit("exec.Command("))}, str: `"exec.Command("`},
	{query: `foo()`, want: Plan{basic(lit("foo()"))}, str: `foo()`},
	{query: `(foo())`, want: Plan{basic(lit("foo()"))}, str: `foo()`},
	{query: `foo\ bar`, want: Plan{basic(lit(`foo\ bar`))}, str: `foo\ bar`},
	{query: `fmt.Errorf("failed`, want: Plan{basic(lit(`fmt.Errorf("failed`))}, str: `"fmt.Errorf(\"failed"`},
	{query: `"AND" "OR" "NOT"`, want: Plan{basic(and(lit("AND"), lit("OR"), lit("NOT")))}, str: `"AND" "OR" "NOT"`},
	{query: `and or not`, want: Plan{basic(and(lit("and"), lit("or"), lit("not")))}, str: `and or not`},
	{query: "foo\tbar\n", want: Plan{basic(and(lit("foo"), lit("bar")))}, str: `foo bar`},
	{query: `日本語 "ü"`, want: Plan{basic(and(lit("日本語"), lit("ü")))}, str: `日本語 ü`},

	// Text with colons that is no filter (an unknown field with a value is an error,
	// see invalidCases).
	{query: `http://example.com`, want: Plan{basic(lit("http://example.com"))}, str: `http://example.com`},
	{query: `std::vector`, want: Plan{basic(lit("std::vector"))}, str: `std::vector`},
	{query: `localhost:8080`, want: Plan{basic(lit("localhost:8080"))}, str: `localhost:8080`},
	{query: `json:"name"`, want: Plan{basic(lit(`json:"name"`))}, str: `json:"name"`},
	{query: `TODO: fix`, want: Plan{basic(and(lit("TODO:"), lit("fix")))}, str: `TODO: fix`},
	{query: `x:=1`, want: Plan{basic(lit("x:=1"))}, str: `x:=1`},
	{query: `C:\dir`, want: Plan{basic(lit(`C:\dir`))}, str: `C:\dir`},
	{query: `"a:b"`, want: Plan{basic(lit("a:b"))}, str: `"a:b"`},
	{query: `'foo:bar baz'`, want: Plan{basic(lit("foo:bar baz"))}, str: `"foo:bar baz"`},
	{query: `/foo:bar/`, want: Plan{basic(re("foo:bar"))}, str: `/foo:bar/`},
	{query: `a "-foo:bar"`, want: Plan{basic(and(lit("a"), lit("-foo:bar")))}, str: `a "-foo:bar"`},
	{query: `patterntype:regexp /foo:bar/ key:\s+\d`, want: Plan{typed(PatternTypeRegexp, basic(and(re("foo:bar"), re(`key:\s+\d`))))}, str: `patterntype:regexp /foo:bar/ key:\s+\d`},

	// Operators and precedence.
	{query: `foo AND bar`, want: Plan{basic(and(lit("foo"), lit("bar")))}, str: `foo bar`},
	{query: `foo OR bar`, want: Plan{basic(or(lit("foo"), lit("bar")))}, str: `foo OR bar`},
	{query: `a OR b c`, want: Plan{basic(or(lit("a"), and(lit("b"), lit("c"))))}, str: `a OR b c`},
	{query: `a b OR c`, want: Plan{basic(or(and(lit("a"), lit("b")), lit("c")))}, str: `a b OR c`},
	{query: `a AND b OR c AND d`, want: Plan{basic(or(and(lit("a"), lit("b")), and(lit("c"), lit("d"))))}, str: `a b OR c d`},
	{query: `(a OR b) c`, want: Plan{basic(and(or(lit("a"), lit("b")), lit("c")))}, str: `(a OR b) c`},
	{query: `((a OR b)) OR c`, want: Plan{basic(or(lit("a"), lit("b"), lit("c")))}, str: `a OR b OR c`},
	{query: `a (b c)`, want: Plan{basic(and(lit("a"), lit("b"), lit("c")))}, str: `a b c`},
	{query: `NOT foo`, want: Plan{basic(not(lit("foo")))}, str: `NOT foo`},
	{query: `foo NOT bar`, want: Plan{basic(and(lit("foo"), not(lit("bar"))))}, str: `foo NOT bar`},
	{query: `foo AND NOT bar`, want: Plan{basic(and(lit("foo"), not(lit("bar"))))}, str: `foo NOT bar`},
	{query: `NOT NOT foo`, want: Plan{basic(lit("foo"))}, str: `foo`},
	{query: `NOT (a OR b)`, want: Plan{basic(and(not(lit("a")), not(lit("b"))))}, str: `NOT a NOT b`},
	{query: `NOT (a b)`, want: Plan{basic(or(not(lit("a")), not(lit("b"))))}, str: `NOT a OR NOT b`},
	{query: `(foo OR bar) AND NOT baz lang:python`,
		want: Plan{basic(and(or(lit("foo"), lit("bar")), not(lit("baz"))), prm("lang", "Python"))},
		str:  `lang:Python (foo OR bar) NOT baz`},

	// Pattern types.
	{query: `patterntype:regexp a.*b`, want: Plan{typed(PatternTypeRegexp, basic(re("a.*b")))}, str: `patterntype:regexp a.*b`},
	{query: `patternType:regexp foo(bar)?`, want: Plan{typed(PatternTypeRegexp, basic(re("foo(bar)?")))}, str: `patterntype:regexp foo(bar)?`},
	{query: `patterntype:regex a\/b "x.y" /c d/`, want: Plan{typed(PatternTypeRegexp, basic(and(re("a/b"), lit("x.y"), re("c d"))))},
		str: `patterntype:regexp a/b "x.y" /c d/`},
	{query: `a.*b`, pt: PatternTypeRegexp, want: Plan{typed(PatternTypeRegexp, basic(re("a.*b")))}, str: `patterntype:regexp a.*b`},
	{query: `patterntype:standard a.*b`, pt: PatternTypeRegexp, want: Plan{basic(lit("a.*b"))}, str: `a.*b`},
	{query: `patterntype:literal /x/ foo( "y z"`, want: Plan{typed(PatternTypeLiteral, basic(and(lit("/x/"), lit("foo("), lit("y z"))))},
		str: `patterntype:literal "/x/" "foo(" "y z"`},
	{query: `foo /b.r/`, pt: PatternTypeKeyword, want: Plan{typed(PatternTypeKeyword, basic(and(lit("foo"), re("b.r"))))},
		str: `patterntype:keyword foo /b.r/`},
	{query: `foo patterntype:regexp patterntype:REGEXP`, want: Plan{typed(PatternTypeRegexp, basic(re("foo")))}, str: `patterntype:regexp foo`},

	// content:
	{query: `content:"a:b" -repo:archive`, want: Plan{basic(lit("a:b"), neg("repo", "archive"))}, str: `-repo:archive "a:b"`},
	{query: `content:"repo:x" foo`, want: Plan{basic(and(lit("repo:x"), lit("foo")))}, str: `"repo:x" foo`},
	{query: `content:/a.b/`, want: Plan{basic(re("a.b"))}, str: `/a.b/`},
	{query: `-content:"x y"`, want: Plan{basic(not(lit("x y")))}, str: `NOT "x y"`},
	{query: `NOT content:x`, want: Plan{basic(not(lit("x")))}, str: `NOT x`},
	{query: `patterntype:regexp content:"a b"`, want: Plan{typed(PatternTypeRegexp, basic(re("a b")))}, str: `patterntype:regexp /a b/`},
	{query: `patterntype:literal content:/a/`, want: Plan{typed(PatternTypeLiteral, basic(lit("/a/")))}, str: `patterntype:literal "/a/"`},

	// Filters, aliases and negation.
	{query: `type:diff repo:^github\.com/acme/ lang:go exec.Command(`,
		want: Plan{basic(lit("exec.Command("), prm("type", "diff"), prm("repo", `^github\.com/acme/`), prm("lang", "Go"))},
		str:  `type:diff repo:^github\.com/acme/ lang:Go "exec.Command("`},
	{query: `repo:foo@main:release-1.2 file:\.go$ -file:_test\.go$ /fmt\.Errorf\("(\w+)/ case:yes`,
		want: Plan{basic(cs(re(`fmt\.Errorf\("(\w+)`)), prm("repo", "foo@main:release-1.2"), prm("file", `\.go$`), neg("file", `_test\.go$`), prm("case", "yes"))},
		str:  `repo:foo@main:release-1.2 file:\.go$ -file:_test\.go$ case:yes /fmt\.Errorf\("(\w+)/`},
	{query: `type:commit author:alice after:"2 weeks ago" message:"fix bug" count:all`,
		want: Plan{basic(nil, prm("type", "commit"), prm("author", "alice"), prm("after", "2 weeks ago"), prm("message", "fix bug"), prm("count", "all"))},
		str:  `type:commit author:alice after:"2 weeks ago" message:"fix bug" count:all`},
	{query: `select:repo TODO`, want: Plan{basic(lit("TODO"), prm("select", "repo"))}, str: `select:repo TODO`},
	{query: `context:global repo:x timeout:30s type:path README`,
		want: Plan{basic(lit("README"), prm("context", "global"), prm("repo", "x"), prm("timeout", "30s"), prm("type", "path"))},
		str:  `context:global repo:x timeout:30s type:path README`},
	{query: `r:foo REPO:bar -r:baz`, want: Plan{basic(nil, prm("repo", "foo"), prm("repo", "bar"), neg("repo", "baz"))}, str: `repo:foo repo:bar -repo:baz`},
	{query: `repo:"foo bar" x`, want: Plan{basic(lit("x"), prm("repo", "foo bar"))}, str: `repo:"foo bar" x`},
	{query: `repo:foo rev:main`, want: Plan{basic(nil, prm("repo", "foo"), prm("rev", "main"))}, str: `repo:foo rev:main`},
	{query: `repo:foo rev:at.time(1 year ago, main) x`, want: Plan{basic(lit("x"), prm("repo", "foo"), prm("rev", "at.time(1 year ago, main)"))}, str: `repo:foo rev:at.time(1 year ago, main) x`},
	{query: `repo:foo@at.time(3 weeks ago, main) x`, want: Plan{basic(lit("x"), prm("repo", "foo@at.time(3 weeks ago, main)"))}, str: `repo:foo@at.time(3 weeks ago, main) x`},
	{query: `(repo:foo rev:at.time(2024-01-01)) x`, want: Plan{basic(lit("x"), prm("repo", "foo"), prm("rev", "at.time(2024-01-01)"))}, str: `repo:foo rev:at.time(2024-01-01) x`},
	{query: `repo:foo revision:v1:*refs/heads/*:*!refs/heads/old*:^old`,
		want: Plan{basic(nil, prm("repo", "foo"), prm("rev", "v1:*refs/heads/*:*!refs/heads/old*:^old"))},
		str:  `repo:foo rev:v1:*refs/heads/*:*!refs/heads/old*:^old`},
	{query: `f:\.go$ -f:_test path:cmd/`, want: Plan{basic(nil, prm("file", `\.go$`), neg("file", "_test"), prm("file", "cmd/"))}, str: `file:\.go$ -file:_test file:cmd/`},
	{query: `l:golang -language:"c++" lang:"objective-c" LANG:TypeScript`,
		want: Plan{basic(nil, prm("lang", "Go"), neg("lang", "C++"), prm("lang", "Objective-C"), prm("lang", "TypeScript"))},
		str:  `lang:Go -lang:C++ lang:Objective-C lang:TypeScript`},
	{query: `lang:"visual basic .net" x`, want: Plan{basic(lit("x"), prm("lang", "Visual Basic .NET"))}, str: `lang:"Visual Basic .NET" x`},
	{query: `type:commit author:alice -author:bob committer:carol m:fix -msg:wip`,
		want: Plan{basic(nil, prm("type", "commit"), prm("author", "alice"), neg("author", "bob"), prm("committer", "carol"), prm("message", "fix"), neg("message", "wip"))},
		str:  `type:commit author:alice -author:bob committer:carol message:fix -message:wip`},
	{query: `type:diff until:2024-03-01 since:"3 weeks ago"`,
		want: Plan{basic(nil, prm("type", "diff"), prm("before", "2024-03-01"), prm("after", "3 weeks ago"))},
		str:  `type:diff before:2024-03-01 after:"3 weeks ago"`},
	{query: `type:commit after:yesterday before:2024-03-15T11:00:00Z`,
		want: Plan{basic(nil, prm("type", "commit"), prm("after", "yesterday"), prm("before", "2024-03-15T11:00:00Z"))},
		str:  `type:commit after:yesterday before:2024-03-15T11:00:00Z`},
	{query: `case:YES Foo`, want: Plan{basic(cs(lit("Foo")), prm("case", "yes"))}, str: `case:yes Foo`},
	{query: `case:no Foo`, want: Plan{basic(lit("Foo"), prm("case", "no"))}, str: `case:no Foo`},
	{query: `fork:only archived:No visibility:PRIVATE x`,
		want: Plan{basic(lit("x"), prm("fork", "only"), prm("archived", "no"), prm("visibility", "private"))},
		str:  `fork:only archived:no visibility:private x`},
	{query: `count:010 x`, want: Plan{basic(lit("x"), prm("count", "10"))}, str: `count:10 x`},
	{query: `count:ALL x`, want: Plan{basic(lit("x"), prm("count", "all"))}, str: `count:all x`},
	{query: `count:100000 x`, want: Plan{basic(lit("x"), prm("count", "100000"))}, str: `count:100000 x`},
	{query: `select:file.directory foo`, want: Plan{basic(lit("foo"), prm("select", "file.directory"))}, str: `select:file.directory foo`},
	{query: `select:commit type:commit`, want: Plan{basic(nil, prm("select", "commit"), prm("type", "commit"))}, str: `select:commit type:commit`},
	{query: `type:diff select:commit.diff.added foo`, want: Plan{basic(lit("foo"), prm("type", "diff"), prm("select", "commit.diff.added"))},
		str: `type:diff select:commit.diff.added foo`},
	{query: `select:content x`, want: Plan{basic(lit("x"), prm("select", "content"))}, str: `select:content x`},
	{query: `type:repo select:repo x`, want: Plan{basic(lit("x"), prm("type", "repo"), prm("select", "repo"))}, str: `type:repo select:repo x`},
	{query: `context:@alice/ctx foo`, want: Plan{basic(lit("foo"), prm("context", "@alice/ctx"))}, str: `context:@alice/ctx foo`},
	{query: `type:symbol Foo`, want: Plan{basic(lit("Foo"), prm("type", "symbol"))}, str: `type:symbol Foo`},
	{query: `type:diff type:diff x`, want: Plan{basic(lit("x"), prm("type", "diff"))}, str: `type:diff x`},
	{query: `repo:x r:x foo foo`, want: Plan{basic(and(lit("foo"), lit("foo")), prm("repo", "x"))}, str: `repo:x foo foo`},
	{query: `(repo:foo)`, want: Plan{basic(nil, prm("repo", "foo"))}, str: `repo:foo`},
	{query: `repo:foo(bar)`, want: Plan{basic(nil, prm("repo", "foo(bar)"))}, str: `repo:foo(bar)`},
	{query: `file:'a"b'`, want: Plan{basic(nil, prm("file", `a"b`))}, str: `file:a"b`},
	{query: `NOT repo:x foo`, want: Plan{basic(lit("foo"), neg("repo", "x"))}, str: `-repo:x foo`},
	{query: `NOT -repo:x foo`, want: Plan{basic(lit("foo"), prm("repo", "x"))}, str: `repo:x foo`},

	// Distribution of filters over OR.
	{query: `(a OR b) lang:go`, want: Plan{basic(or(lit("a"), lit("b")), prm("lang", "Go"))}, str: `lang:Go (a OR b)`},
	{query: `(a OR lang:go) b`, want: Plan{basic(and(lit("a"), lit("b"))), basic(lit("b"), prm("lang", "Go"))}, str: `(a b) OR (lang:Go b)`},
	{query: `a OR lang:go OR repo:x`, want: Plan{basic(lit("a")), basic(nil, prm("lang", "Go")), basic(nil, prm("repo", "x"))},
		str: `(a) OR (lang:Go) OR (repo:x)`},
	{query: `(a OR b) OR lang:go`, want: Plan{basic(or(lit("a"), lit("b"))), basic(nil, prm("lang", "Go"))}, str: `(a OR b) OR (lang:Go)`},
	{query: `(a OR lang:go) (b OR lang:python)`,
		want: Plan{
			basic(and(lit("a"), lit("b"))),
			basic(lit("a"), prm("lang", "Python")),
			basic(lit("b"), prm("lang", "Go")),
			basic(nil, prm("lang", "Go"), prm("lang", "Python")),
		},
		str: `(a b) OR (lang:Python a) OR (lang:Go b) OR (lang:Go lang:Python)`},
	{query: `NOT (a repo:x)`, want: Plan{basic(not(lit("a"))), basic(nil, neg("repo", "x"))}, str: `(NOT a) OR (-repo:x)`},
	{query: `(type:commit a) OR (type:diff b)`, want: Plan{basic(lit("a"), prm("type", "commit")), basic(lit("b"), prm("type", "diff"))},
		str: `(type:commit a) OR (type:diff b)`},
	{query: `repo:x ((a OR b) c OR repo:y d)`,
		want: Plan{basic(and(or(lit("a"), lit("b")), lit("c")), prm("repo", "x")), basic(lit("d"), prm("repo", "x"), prm("repo", "y"))},
		str:  `(repo:x (a OR b) c) OR (repo:x repo:y d)`},
	{query: `(case:yes A) OR B`, want: Plan{basic(cs(lit("A")), prm("case", "yes")), basic(lit("B"))}, str: `(case:yes A) OR (B)`},
	{query: `repo:x (a OR b)`, pt: PatternTypeRegexp, want: Plan{typed(PatternTypeRegexp, basic(or(re("a"), re("b")), prm("repo", "x")))},
		str: `patterntype:regexp repo:x (a OR b)`},
	{query: `(a OR repo:x) patterntype:regexp`,
		want: Plan{typed(PatternTypeRegexp, basic(re("a"))), typed(PatternTypeRegexp, basic(nil, prm("repo", "x")))},
		str:  `(patterntype:regexp a) OR (patterntype:regexp repo:x)`},
}

type invalidCase struct {
	query string
	pt    PatternType
	err   string
}

var invalidCases = []invalidCase{
	// Unknown filters.
	{query: `nosuchfilter:x`, err: `invalid query at 0 ("nosuchfilter:x"): unknown filter nosuchfilter: (known filters: ` + knownList + `); to search for the text, quote it: "nosuchfilter:x"`},
	{query: `lang:go lnag:go`, err: `invalid query at 8 ("lnag:go"): unknown filter lnag: (known filters: ` + knownList + `); to search for the text, quote it: "lnag:go"`},
	{query: `x -Foo:^bar`, err: `invalid query at 2 ("-Foo:^bar"): unknown filter foo: (known filters: ` + knownList + `); to search for the text, quote it: "-Foo:^bar"`},
	{query: `(a OR b:c)`, err: `invalid query at 6 ("b:c"): unknown filter b: (known filters: ` + knownList + `); to search for the text, quote it: "b:c"`},

	// Syntax.
	{query: ``, err: `invalid query at 0: empty query`},
	{query: "  \t", err: `invalid query at 0: empty query`},
	{query: `"unterminated`, err: `invalid query at 0 ("\"unterminated"): unterminated quoted string: add the closing "`},
	{query: `foo 'bar`, err: `invalid query at 4 ("'bar"): unterminated quoted string: add the closing '`},
	{query: `"a"b`, err: `invalid query at 0 ("\"a\"b"): expected a space or ')' after the closing quote`},
	{query: `message:"fix`, err: `invalid query at 0 ("message:\"fix"): unterminated quoted string: add the closing "`},
	{query: `message:"fix"bug x`, err: `invalid query at 0 ("message:\"fix\"bug"): expected a space or ')' after the closing quote`},
	{query: `(a`, err: `invalid query at 0 ("("): unbalanced parenthesis: this ( is never closed`},
	{query: `(a OR (b c)`, err: `invalid query at 0 ("("): unbalanced parenthesis: this ( is never closed`},
	{query: `a)`, err: `invalid query at 1 (")"): unbalanced parenthesis: no ( to close`},
	{query: `a) OR (b`, err: `invalid query at 1 (")"): unbalanced parenthesis: no ( to close`},
	{query: `)`, err: `invalid query at 0 (")"): unbalanced parenthesis: no ( to close`},
	{query: `(`, err: `invalid query at 0 ("("): unbalanced parenthesis: this ( is never closed`},
	{query: `()`, err: `invalid query at 0 ("()"): empty parentheses: write "()" to search for them`},
	{query: `foo AND`, err: `invalid query at 4 ("AND"): expected a pattern or filter after AND`},
	{query: `foo OR`, err: `invalid query at 4 ("OR"): expected a pattern or filter after OR`},
	{query: `AND foo`, err: `invalid query at 0 ("AND"): expected a pattern or filter before AND`},
	{query: `OR foo`, err: `invalid query at 0 ("OR"): expected a pattern or filter before OR`},
	{query: `foo AND OR bar`, err: `invalid query at 8 ("OR"): expected a pattern or filter after AND`},
	{query: `(foo OR) bar`, err: `invalid query at 7 (")"): expected a pattern or filter after OR`},
	{query: `NOT`, err: `invalid query at 0 ("NOT"): expected a pattern or filter after NOT`},
	{query: `foo NOT`, err: `invalid query at 4 ("NOT"): expected a pattern or filter after NOT`},
	{query: `""`, err: `invalid query at 0 ("\"\""): empty pattern`},
	{query: "a \xff", err: `invalid query at 2: query is not valid UTF-8`},
	{query: `((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))`,
		err: `invalid query at 64 ("("): query is nested too deeply (more than 64 levels of parentheses and NOT)`},

	// Pattern types.
	{query: `patterntype:structural :[x]`, err: `invalid query at 0 ("patterntype:structural"): structural search is not supported`},
	{query: `x`, pt: "structural", err: `invalid query: structural search is not supported`},
	{query: `x`, pt: "fuzzy", err: `invalid query: unknown pattern type "fuzzy" (want standard, literal, regexp or keyword)`},
	{query: `patterntype:fuzzy x`, err: `invalid query at 0 ("patterntype:fuzzy"): unknown pattern type "fuzzy" (want standard, literal, regexp or keyword)`},
	{query: `patterntype:regexp x patterntype:literal`, err: `invalid query at 21 ("patterntype:literal"): patterntype: may appear only once (found regexp and literal)`},
	{query: `-patterntype:regexp x`, err: `invalid query at 0 ("-patterntype:regexp"): filter patterntype: cannot be negated`},
	{query: `(patterntype:regexp) OR x`, err: `invalid query at 1 ("patterntype:regexp"): a query needs a pattern or a filter besides patterntype:`},

	// Regexps.
	{query: `/foo(/`, err: `invalid query at 0 ("/foo(/"): invalid regular expression "foo(": missing closing )`},
	{query: `patterntype:regexp exec.Command(`, err: `invalid query at 19 ("exec.Command("): invalid regular expression "exec.Command(": missing closing )`},
	{query: `repo:foo( x`, err: `invalid query at 0 ("repo:foo("): invalid regular expression "foo(": missing closing )`},
	{query: `file:*.go`, err: `invalid query at 0 ("file:*.go"): invalid regular expression "*.go": missing argument to repetition operator`},
	{query: `type:commit author:[a`, err: `invalid query at 12 ("author:[a"): invalid regular expression "[a": missing closing ]`},

	// Filter values.
	{query: `repo:`, err: `invalid query at 0 ("repo:"): filter repo: needs a value`},
	{query: `repo: foo`, err: `invalid query at 0 ("repo:"): filter repo: needs a value`},
	{query: `file:"" x`, err: `invalid query at 0 ("file:\"\""): filter file: needs a value`},
	{query: `lang:cobolx`, err: `invalid query at 0 ("lang:cobolx"): unknown language "cobolx"`},
	{query: `repo:x lang:cobolx`, err: `invalid query at 7 ("lang:cobolx"): unknown language "cobolx"`},
	{query: `type:blob x`, err: `invalid query at 0 ("type:blob"): invalid type: value "blob" (want file, path, repo, commit, diff, symbol)`},
	{query: `case:maybe x`, err: `invalid query at 0 ("case:maybe"): invalid case: value "maybe" (want yes, no)`},
	{query: `fork:sometimes x`, err: `invalid query at 0 ("fork:sometimes"): invalid fork: value "sometimes" (want yes, no, only)`},
	{query: `archived:1 x`, err: `invalid query at 0 ("archived:1"): invalid archived: value "1" (want yes, no, only)`},
	{query: `visibility:internal x`, err: `invalid query at 0 ("visibility:internal"): invalid visibility: value "internal" (want any, public, private)`},
	{query: `select:symbol x`, err: `invalid query at 0 ("select:symbol"): invalid select: value "symbol" (want repo, file, file.directory, content, commit, commit.diff.added, commit.diff.removed)`},
	{query: `count:0 x`, err: `invalid query at 0 ("count:0"): count must be a number from 1 to 100000, or all`},
	{query: `count:100001 x`, err: `invalid query at 0 ("count:100001"): count must be a number from 1 to 100000, or all`},
	{query: `count:-1 x`, err: `invalid query at 0 ("count:-1"): count must be a number from 1 to 100000, or all`},
	{query: `count:+5 x`, err: `invalid query at 0 ("count:+5"): count must be a number from 1 to 100000, or all`},
	{query: `count:lots x`, err: `invalid query at 0 ("count:lots"): count must be a number from 1 to 100000, or all`},
	{query: `timeout:30 x`, err: `invalid query at 0 ("timeout:30"): timeout must be a positive duration such as 30s or 2m`},
	{query: `timeout:0s x`, err: `invalid query at 0 ("timeout:0s"): timeout must be a positive duration such as 30s or 2m`},
	{query: `timeout:1h x`, err: `invalid query at 0 ("timeout:1h"): timeout 1h is longer than the maximum, 5m0s`},
	{query: `context:"a b" x`, err: `invalid query at 0 ("context:\"a b\""): invalid search context name "a b"`},
	{query: `type:commit after:tomorrow`, err: `invalid query at 12 ("after:tomorrow"): invalid date "tomorrow": want 2024-01-31, an RFC 3339 time or a relative date such as "3 weeks ago"`},
	{query: `type:commit before:2024-13-01`, err: `invalid query at 12 ("before:2024-13-01"): invalid date "2024-13-01": want 2024-01-31, an RFC 3339 time or a relative date such as "3 weeks ago"`},
	{query: `type:commit after:"9999999 years ago"`, err: `invalid query at 12 ("after:\"9999999 years ago\""): invalid date "9999999 years ago": too far in the past`},
	{query: `repo:@main`, err: `invalid query at 0 ("repo:@main"): repo: needs a repository pattern before @`},
	{query: `repo:x@ foo`, err: `invalid query at 0 ("repo:x@"): empty revision in ""`},
	{query: `repo:x@a::b`, err: `invalid query at 0 ("repo:x@a::b"): empty revision in "a::b"`},
	{query: `repo:x@--upload-pack=evil`, err: `invalid query at 0 ("repo:x@--upload-pack=evil"): invalid revision "--upload-pack=evil": must not start with -`},
	{query: `repo:x@*[`, err: `invalid query at 0 ("repo:x@*["): invalid ref glob "*["`},
	{query: `repo:x rev:^`, err: `invalid query at 7 ("rev:^"): empty revision in "^"`},
	{query: `repo:x rev:at.time(soon)`, err: `invalid query at 7 ("rev:at.time(soon)"): invalid date "soon": want 2024-01-31, an RFC 3339 time or a relative date such as "3 weeks ago"`},
	{query: `repo:x rev:at.time(2024-01-01, -x)`, err: `invalid query at 7 ("rev:at.time(2024-01-01, -x)"): invalid revision "-x": must not start with -`},
	{query: `repo:x@main:at.time(2024-01-01) y`, err: `invalid query at 0 ("repo:x@main:at.time(2024-01-01)"): invalid revision "main:at.time(2024-01-01)": at.time(...) must be the only revision`},
	{query: `repo:x rev:at.time(2024-01-01, a:b)`, err: `invalid query at 7 ("rev:at.time(2024-01-01, a:b)"): invalid revision "a:b" in at.time: name one revision`},
	{query: `repo:x rev:at.time(2024-01-01`, err: `invalid query at 7 ("rev:at.time(2024-01-01"): invalid revision "at.time(2024-01-01": want at.time(TIME) or at.time(TIME, REVISION)`},

	// Negation.
	{query: `-type:diff x`, err: `invalid query at 0 ("-type:diff"): filter type: cannot be negated`},
	{query: `NOT type:diff x`, err: `invalid query at 4 ("type:diff"): filter type: cannot be negated`},
	{query: `NOT (count:5 x)`, err: `invalid query at 5 ("count:5"): filter count: cannot be negated`},
	{query: `-case:yes x`, err: `invalid query at 0 ("-case:yes"): filter case: cannot be negated`},
	{query: `-repo:x@main`, err: `invalid query at 0 ("-repo:x@main"): a negated repo: filter cannot name revisions`},

	// Filters that cannot repeat.
	{query: `type:diff type:commit x`, err: `invalid query at 10 ("type:commit"): type: may appear only once (already type:diff)`},
	{query: `case:yes case:no x`, err: `invalid query at 9 ("case:no"): case: may appear only once (already case:yes)`},
	{query: `count:1 count:2 x`, err: `invalid query at 8 ("count:2"): count: may appear only once (already count:1)`},
	{query: `timeout:1s timeout:2s x`, err: `invalid query at 11 ("timeout:2s"): timeout: may appear only once (already timeout:1s)`},
	{query: `select:repo select:file x`, err: `invalid query at 12 ("select:file"): select: may appear only once (already select:repo)`},
	{query: `context:a context:b x`, err: `invalid query at 10 ("context:b"): context: may appear only once (already context:a)`},
	{query: `repo:x rev:a rev:b`, err: `invalid query at 13 ("rev:b"): rev: may appear only once (already rev:a)`},

	// Filters that need others.
	{query: `select:commit x`, err: `invalid query at 0 ("select:commit"): select:commit needs type:commit or type:diff`},
	{query: `type:commit select:commit.diff.added x`, err: `invalid query at 12 ("select:commit.diff.added"): select:commit.diff.added needs type:diff`},
	{query: `type:repo select:file x`, err: `invalid query at 10 ("select:file"): select:file needs type:file, type:path or type:symbol`},
	{query: `type:diff select:content x`, err: `invalid query at 10 ("select:content"): select:content needs type:file`},
	{query: `author:alice`, err: `invalid query at 0 ("author:alice"): author: needs type:commit or type:diff`},
	{query: `type:file message:fix x`, err: `invalid query at 10 ("message:fix"): message: needs type:commit or type:diff`},
	{query: `after:"1 week ago" x`, err: `invalid query at 0 ("after:\"1 week ago\""): after: needs type:commit or type:diff`},
	{query: `(type:commit a) OR committer:x`, err: `invalid query at 19 ("committer:x"): committer: needs type:commit or type:diff`},
	{query: `type:diff after:2024-03-01 before:2024-02-01`, err: `invalid query at 10 ("after:2024-03-01"): after: is later than before:, so nothing can match`},
	{query: `rev:main x`, err: `invalid query at 0 ("rev:main"): rev: needs a repo: filter`},
	{query: `repo:x@main rev:dev`, err: `invalid query at 12 ("rev:dev"): rev: cannot be combined with repo:...@revisions`},
	{query: `-repo:x rev:dev`, err: `invalid query at 8 ("rev:dev"): rev: needs a repo: filter`},

	// Unsupported.
	{query: `repohasfile:README x`, err: `invalid query at 0 ("repohasfile:README"): filter repohasfile: is not supported`},
	{query: `-repohasfile:README x`, err: `invalid query at 0 ("-repohasfile:README"): filter repohasfile: is not supported`},
	{query: `index:only x`, err: `invalid query at 0 ("index:only"): filter index: is not supported`},
	{query: `repo:has.file(path:README) x`, err: `invalid query at 0 ("repo:has.file(path:README)"): repo:has.file(...) predicates are not supported`},
	{query: `repo:contains.file(README)`, err: `invalid query at 0 ("repo:contains.file(README)"): repo:contains.file(...) predicates are not supported`},
	{query: `file:has.owner(alice)`, err: `invalid query at 0 ("file:has.owner(alice)"): file:has.owner(...) predicates are not supported`},

	// Size.
	{query: `(a OR r:a) (b OR r:b) (c OR r:c) (d OR r:d) (e OR r:e) (f OR r:f) (g OR r:g) (h OR r:h)`,
		err: `invalid query at 0: query expands to more than 128 basic queries: simplify the OR expressions that hold filters`},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.query, func(t *testing.T) {
			got, err := ParseWith(tc.query, Options{PatternType: tc.pt, Now: testNow})
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.query, err)
			}
			if diff := cmp.Diff(tc.want, got, planOpts...); diff != "" {
				t.Errorf("Parse(%q) plan mismatch (-want +got):\n%s", tc.query, diff)
			}
			if s := got.String(); s != tc.str {
				t.Errorf("Parse(%q).String() = %q, want %q", tc.query, s, tc.str)
			}
			again, err := ParseWith(got.String(), Options{Now: testNow})
			if err != nil {
				t.Fatalf("canonical form %q does not parse: %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again, planOpts...); diff != "" {
				t.Errorf("canonical form %q parses to another plan (-first +second):\n%s", got.String(), diff)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.query, func(t *testing.T) {
			_, err := ParseWith(tc.query, Options{PatternType: tc.pt, Now: testNow})
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error %q", tc.query, tc.err)
			}
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q) error is %T, want *Error", tc.query, err)
			}
			if err.Error() != tc.err {
				t.Errorf("Parse(%q) error:\n got %s\nwant %s", tc.query, err, tc.err)
			}
		})
	}
}

const knownList = "after, archived, author, before, case, committer, content, context, count, file, fork, lang, message, patterntype, repo, rev, select, timeout, type, visibility"
