// Package query parses Lookout's search query language, the syntax Sourcegraph users
// know, into a typed plan that the search executor, code monitors, code insights and
// campaigns consume.
//
// Parsing has two steps. ParseAST turns the text into a syntax tree of patterns,
// parameters (filters) and AND/OR/NOT operators, each with its source position. The
// plan step (AST.Plan, or Parse/ParseWith which do both) validates every filter value,
// pushes NOT down to the leaves and converts the tree to disjunctive normal form: a
// Plan is a list of Basic queries, each a conjunction of filters and one pattern tree.
// The executor runs every Basic query and unions the results. OR nodes that hold only
// patterns stay inside a Basic's pattern tree (one search can evaluate them); OR nodes
// that hold filters are distributed, because filters scope a whole search.
//
// Syntax in brief:
//
//   - Terms separated by spaces are ANDed; AND, OR, NOT (upper case) and parentheses
//     combine them, AND binding tighter than OR.
//   - "a b" and 'a b' group a literal with spaces; inside quotes \" \' \\ \n \t \r
//     are escapes and any other backslash is kept as written.
//   - /re/ is a regular expression in the standard and keyword pattern types; a bare
//     word is literal there. patterntype:regexp makes every bare word a regexp,
//     patterntype:literal makes everything literal (/x/ is the text /x/). Quoted
//     patterns are literal in every pattern type. keyword behaves as standard, since
//     Lookout ANDs terms in every pattern type.
//   - field:value is a filter when field is a known field (case-insensitive, with
//     aliases); a "-" prefix negates it where negation makes sense. A field is
//     recognised only at the start of a token (letters, then a colon): an unknown
//     one followed by a value that starts with a letter or ^ (nosuchfilter:x) is an
//     error listing the known filters, while std::vector, http://x, localhost:8080,
//     json:"name", TODO: and quoted "a:b" are text.
//   - A query is at most MaxQueryLength bytes; parsing and planning are linear in its
//     length (a benchmark checks it) and planning stops when its context is done.
//   - Revisions: repo:x@rev1:rev2 or rev:rev1:rev2 (^rev leaves out rev's history,
//     *refs/heads/* and *!glob select refs), and rev:at.time(TIME[, REV]), the newest
//     commit of REV (the default branch) at or before TIME, which takes the forms of
//     before: ("2024-01-31", RFC 3339, "3 weeks ago"); a predicate's parentheses may
//     hold spaces without quotes.
//
// Every error is an *Error naming the byte offset and the token at fault. Structural
// search and Sourcegraph filters Lookout does not run (repohasfile:, index:,
// repo:has.file(...) predicates, ...) are errors rather than text, so that a query
// never silently means less than its author thinks.
//
// Plan.String writes a plan back as canonical query text that parses to the same
// plan; code monitors store it as "the query as run". AddFilter, ReplaceFilter and
// RemoveFilter derive new plans (pin a repository and revision, add count:all), and
// OnlyRepoFilters checks insight scope queries.
package query
