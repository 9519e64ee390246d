package query

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseAST checks the syntax tree, positions and tokens included.
func TestParseAST(t *testing.T) {
	tests := []struct {
		query string
		pt    PatternType
		want  *AST
	}{
		{
			query: `repo:x  (foo OR "bar baz") NOT /q/`,
			want: &AST{PatternType: PatternTypeStandard, Root: &Operator{Kind: And, Pos: 0, Operands: []Node{
				&Parameter{Field: "repo", Value: "x", Pos: 0, Token: "repo:x"},
				&Operator{Kind: Or, Pos: 9, Operands: []Node{
					&Pattern{Value: "foo", Kind: Literal, Pos: 9, Token: "foo"},
					&Pattern{Value: "bar baz", Kind: Literal, Pos: 16, Token: `"bar baz"`},
				}},
				&Operator{Kind: Not, Pos: 27, Operands: []Node{
					&Pattern{Value: "q", Kind: Regexp, Pos: 31, Token: "/q/"},
				}},
			}}},
		},
		{
			query: `-r:a message:"fix \"it\"" -content:x`,
			want: &AST{PatternType: PatternTypeStandard, Root: &Operator{Kind: And, Pos: 0, Operands: []Node{
				&Parameter{Field: "repo", Value: "a", Negated: true, Pos: 0, Token: "-r:a"},
				&Parameter{Field: "message", Value: `fix "it"`, Pos: 5, Token: `message:"fix \"it\""`},
				&Pattern{Value: "x", Kind: Literal, Negated: true, Pos: 26, Token: "-content:x"},
			}}},
		},
		{
			query: `a.b patternType:regexp`,
			want: &AST{PatternType: PatternTypeRegexp, Root: &Operator{Kind: And, Pos: 0, Operands: []Node{
				&Pattern{Value: "a.b", Kind: Regexp, Pos: 0, Token: "a.b"},
				&Parameter{Field: "patterntype", Value: "regexp", Pos: 4, Token: "patternType:regexp"},
			}}},
		},
		{
			query: `/x/`,
			pt:    PatternTypeLiteral,
			want:  &AST{PatternType: PatternTypeLiteral, Root: &Pattern{Value: "/x/", Kind: Literal, Pos: 0, Token: "/x/"}},
		},
		{
			query: `a AND b OR c`,
			want: &AST{PatternType: PatternTypeStandard, Root: &Operator{Kind: Or, Pos: 0, Operands: []Node{
				&Operator{Kind: And, Pos: 0, Operands: []Node{
					&Pattern{Value: "a", Pos: 0, Token: "a"},
					&Pattern{Value: "b", Pos: 6, Token: "b"},
				}},
				&Pattern{Value: "c", Pos: 11, Token: "c"},
			}}},
		},
	}
	for _, tc := range tests {
		got, err := ParseAST(tc.query, tc.pt)
		if err != nil {
			t.Fatalf("ParseAST(%q): %v", tc.query, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseAST(%q) (-want +got):\n%s", tc.query, diff)
		}
	}
}

func TestASTString(t *testing.T) {
	ast, err := ParseAST(`repo:x (a OR /b/) NOT "c d"`, "")
	if err != nil {
		t.Fatal(err)
	}
	want := `(AND repo:x (OR a /b/) (NOT "c d"))`
	if got := String(ast.Root); got != want {
		t.Errorf("String = %s, want %s", got, want)
	}
}

func TestLex(t *testing.T) {
	type tok struct {
		Kind  tokenKind
		Pos   int
		Value string
	}
	tests := []struct {
		query string
		want  []tok
	}{
		{`a(b) (c)`, []tok{{tokWord, 0, "a(b)"}, {tokLParen, 5, ""}, {tokWord, 6, "c"}, {tokRParen, 7, ""}}},
		{`foo\ bar\) )`, []tok{{tokWord, 0, `foo\ bar\)`}, {tokRParen, 11, ""}}},
		{`/a b/ /x/y //`, []tok{{tokSlash, 0, "a b"}, {tokWord, 6, "/x/y"}, {tokWord, 11, "//"}}},
		{`/a/)`, []tok{{tokSlash, 0, "a"}, {tokRParen, 3, ""}}},
		{`"a b")`, []tok{{tokQuoted, 0, "a b"}, {tokRParen, 5, ""}}},
		{`AND OR NOT And`, []tok{{tokAnd, 0, ""}, {tokOr, 4, ""}, {tokNot, 7, ""}, {tokWord, 11, "And"}}},
		{`repo:a) -f:'b c'`, []tok{{tokParam, 0, "a"}, {tokRParen, 6, ""}, {tokParam, 8, "b c"}}},
		{"\u00a0x\u3000y", []tok{{tokWord, 2, "x"}, {tokWord, 6, "y"}}},
	}
	for _, tc := range tests {
		toks, err := lex(tc.query)
		if err != nil {
			t.Fatalf("lex(%q): %v", tc.query, err)
		}
		var got []tok
		for _, x := range toks {
			v := x.value
			if x.kind == tokLParen || x.kind == tokRParen || x.kind == tokAnd || x.kind == tokOr || x.kind == tokNot {
				v = ""
			}
			got = append(got, tok{x.kind, x.pos, v})
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("lex(%q) (-want +got):\n%s", tc.query, diff)
		}
	}
}
