package resolvers_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/graph-gophers/graphql-go/ast"
	"github.com/graph-gophers/graphql-go/decode"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/store"
)

// An explicit null is a value in GraphQL, not "use the default": graphql-go hands it to
// the resolver, and an argument (or input field) that has a default is then packed into
// its Go field as non-null unless that field's type takes a null (graphql.NullInt and
// friends, or resolvers' own null types for enums). A plain int32 or string there fails
// every request that sends null with "got null for non-null".
//
// nullableDefaults walks the schema as graphql-go binds it to the resolvers (the same
// method lookup: case-insensitive names, To<Type> for interfaces and unions) from the
// root resolver, and lists every argument and input field with a default whose Go field
// cannot take a null. It covers every field, however deep, without needing data to reach
// it; TestExplicitNullForDefaultedArguments then sends the nulls for real.
func nullableDefaults(t *testing.T) (checked []string, bad []string) {
	t.Helper()
	s, err := resolvers.NewSchema(&resolvers.Resolver{Deps: resolvers.Deps{Insights: &resolvers.InsightsDeps{}}}, resolvers.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	sch := s.ASTSchema()
	root := reflect.TypeOf(&resolvers.Resolver{})

	type binding struct {
		gql string
		go_ reflect.Type
	}
	seen := map[binding]bool{}
	seenInput := map[binding]bool{}
	var queue []binding
	push := func(gql string, typ reflect.Type) {
		b := binding{gql, typ}
		if !seen[b] {
			seen[b] = true
			queue = append(queue, b)
		}
	}
	for _, op := range []string{"query", "mutation"} {
		if def, ok := sch.RootOperationTypes[op]; ok {
			push(def.TypeName(), root)
		}
	}

	var checkInput func(where string, typ ast.Type, goType reflect.Type)
	checkValue := func(where string, v *ast.InputValueDefinition, goField reflect.Type) {
		if v.Default != nil {
			checked = append(checked, where)
			if !takesNull(goField) {
				bad = append(bad, fmt.Sprintf("%s (default %s) is a Go %s", where, v.Default, goField))
			}
		}
		checkInput(where, v.Type, goField)
	}
	checkInput = func(where string, typ ast.Type, goType reflect.Type) {
		typ, goType = unwrapLists(typ, goType)
		in, ok := typ.(*ast.InputObject)
		if !ok {
			return
		}
		for goType.Kind() == reflect.Pointer {
			goType = goType.Elem()
		}
		if seenInput[binding{in.Name, goType}] {
			return
		}
		seenInput[binding{in.Name, goType}] = true
		for _, f := range in.Values {
			sf, ok := goType.FieldByNameFunc(func(n string) bool { return sameName(n, f.Name.Name) })
			if !ok {
				t.Errorf("%s: Go type %s has no field for %s", where, goType, f.Name.Name)
				continue
			}
			checkValue(in.Name+"."+f.Name.Name, f, sf.Type)
		}
	}

	for len(queue) > 0 {
		b := queue[0]
		queue = queue[1:]
		var fields ast.FieldsDefinition
		var possible []*ast.ObjectTypeDefinition
		switch d := sch.Types[b.gql].(type) {
		case *ast.ObjectTypeDefinition:
			fields = d.Fields
		case *ast.InterfaceTypeDefinition:
			fields, possible = d.Fields, d.PossibleTypes
		case *ast.Union:
			possible = d.UnionMemberTypes
		default:
			continue
		}
		for _, p := range possible {
			m, ok := findMethod(b.go_, "To"+p.Name)
			if !ok {
				t.Errorf("%s (%s) has no To%s", b.gql, b.go_, p.Name)
				continue
			}
			push(p.Name, m.Type.Out(0))
		}
		for _, f := range fields {
			m, ok := findMethod(b.go_, f.Name)
			if !ok {
				if len(possible) == 0 {
					t.Errorf("%s (%s) has no method for %s", b.gql, b.go_, f.Name)
				}
				continue // an interface field the concrete types resolve
			}
			in := []reflect.Type{}
			for i := 0; i < m.Type.NumIn(); i++ {
				in = append(in, m.Type.In(i))
			}
			if b.go_.Kind() != reflect.Interface {
				in = in[1:]
			}
			if len(in) > 0 && in[0] == reflect.TypeOf((*context.Context)(nil)).Elem() {
				in = in[1:]
			}
			if len(f.Arguments) > 0 {
				args := in[0]
				for args.Kind() == reflect.Pointer {
					args = args.Elem()
				}
				for _, a := range f.Arguments {
					sf, ok := args.FieldByNameFunc(func(n string) bool { return sameName(n, a.Name.Name) })
					if !ok {
						t.Errorf("%s.%s: args %s have no field for %s", b.gql, f.Name, args, a.Name.Name)
						continue
					}
					checkValue(fmt.Sprintf("%s.%s(%s:)", b.gql, f.Name, a.Name.Name), a, sf.Type)
				}
			}
			named, out := unwrapLists(f.Type, m.Type.Out(0))
			push(named.(ast.NamedType).TypeName(), out)
		}
	}
	sort.Strings(bad)
	return checked, bad
}

// unwrapLists strips non-null and list wrappers off a GraphQL type, and the matching
// slices (and pointers to them) off the Go type bound to it (when not nil): the element
// types.
func unwrapLists(typ ast.Type, goType reflect.Type) (ast.Type, reflect.Type) {
	for {
		switch tt := typ.(type) {
		case *ast.NonNull:
			typ = tt.OfType
			continue
		case *ast.List:
			typ = tt.OfType
			if goType == nil {
				continue
			}
			for goType.Kind() == reflect.Pointer {
				goType = goType.Elem()
			}
			if goType.Kind() == reflect.Slice {
				goType = goType.Elem()
			}
			continue
		}
		return typ, goType
	}
}

// takesNull: graphql-go packs a null into a type that implements its NullUnmarshaller
// (UnmarshalGraphQL and Nullable), by calling UnmarshalGraphQL(nil).
func takesNull(t reflect.Type) bool {
	p := reflect.New(t).Interface()
	u, ok := p.(decode.Unmarshaler)
	if !ok {
		return false
	}
	if _, ok := p.(interface{ Nullable() }); !ok {
		return false
	}
	return u.UnmarshalGraphQL(nil) == nil
}

// sameName matches names as graphql-go does: case-insensitive, underscores ignored.
func sameName(goName, gqlName string) bool {
	strip := func(s string) string { return strings.ReplaceAll(s, "_", "") }
	return strings.EqualFold(strip(goName), strip(gqlName))
}

func findMethod(t reflect.Type, name string) (reflect.Method, bool) {
	for i := 0; i < t.NumMethod(); i++ {
		if sameName(t.Method(i).Name, name) {
			return t.Method(i), true
		}
	}
	return reflect.Method{}, false
}

func TestEveryDefaultedArgumentTakesNull(t *testing.T) {
	checked, bad := nullableDefaults(t)
	t.Logf("%d arguments and input fields with defaults", len(checked))
	if len(checked) < 50 {
		t.Errorf("only %d defaulted arguments found: the walk missed part of the schema\n%s", len(checked), strings.Join(checked, "\n"))
	}
	if len(bad) > 0 {
		t.Errorf("%d arguments with a default cannot take an explicit null:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}

// nullCall is a root field called with every defaulted argument and defaulted input
// field under it set to null (as a literal and as a variable left unset), and with them
// omitted, other required values filled in minimally.
type nullCall struct {
	op, field         string
	null, unset, omit string
	nulls             []string // where the nulls are
}

// nullCalls builds a nullCall for every Query and Mutation field with a defaulted
// argument or input field under its arguments.
func nullCalls(t *testing.T) []nullCall {
	t.Helper()
	s, err := resolvers.NewSchema(&resolvers.Resolver{Deps: resolvers.Deps{Insights: &resolvers.InsightsDeps{}}}, resolvers.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	sch := s.ASTSchema()
	type mode int
	const (
		literal mode = iota
		variable
		omitted
	)
	var (
		vars    []string
		nulls   []string
		gen     func(typ ast.Type, m mode, where string) string
		objects func(in *ast.InputObject, m mode, where string) string
	)
	gen = func(typ ast.Type, m mode, where string) string {
		switch tt := typ.(type) {
		case *ast.NonNull:
			return gen(tt.OfType, m, where)
		case *ast.List:
			return "[" + gen(tt.OfType, m, where) + "]"
		case *ast.EnumTypeDefinition:
			return tt.EnumValuesDefinition[0].EnumValue
		case *ast.InputObject:
			return objects(tt, m, where)
		case *ast.ScalarTypeDefinition:
			switch tt.Name {
			case "Int", "Float":
				return "1"
			case "Boolean":
				return "false"
			case "DateTime":
				return `"2024-01-02T03:04:05Z"`
			case "BigInt":
				return `"1"`
			default: // String, ID, JSONValue
				return `"x"`
			}
		}
		t.Fatalf("%s: no value for %s", where, typ)
		return ""
	}
	// value is an argument's or input field's value, "" to omit it.
	value := func(v *ast.InputValueDefinition, m mode, where string) string {
		where += "." + v.Name.Name
		if v.Default != nil {
			if m != omitted {
				nulls = append(nulls, where)
			}
			switch m {
			case literal:
				return "null"
			case variable:
				name := fmt.Sprintf("$v%d", len(vars))
				typ := v.Type
				if nn, ok := typ.(*ast.NonNull); ok {
					typ = nn.OfType
				}
				vars = append(vars, name+": "+typ.String())
				return name
			}
			return ""
		}
		if _, required := v.Type.(*ast.NonNull); required {
			return gen(v.Type, m, where)
		}
		return ""
	}
	objects = func(in *ast.InputObject, m mode, where string) string {
		var parts []string
		for _, f := range in.Values {
			if val := value(f, m, where); val != "" {
				parts = append(parts, f.Name.Name+": "+val)
			}
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	var out []nullCall
	for _, op := range []string{"query", "mutation"} {
		def := sch.RootOperationTypes[op].(*ast.ObjectTypeDefinition)
		for _, f := range def.Fields {
			call := nullCall{op: op, field: f.Name}
			for _, m := range []mode{literal, variable, omitted} {
				vars, nulls = nil, nil
				var args []string
				for _, a := range f.Arguments {
					if val := value(a, m, f.Name); val != "" {
						args = append(args, a.Name.Name+": "+val)
					}
				}
				if m == literal && len(nulls) == 0 {
					break // nothing defaulted under this field
				}
				q := op
				if len(vars) > 0 {
					q += "(" + strings.Join(vars, ", ") + ")"
				}
				q += " { " + f.Name
				if len(args) > 0 {
					q += "(" + strings.Join(args, ", ") + ")"
				}
				q += selection(sch, f.Type, 2) + " }"
				switch m {
				case literal:
					call.null, call.nulls = q, nulls
				case variable:
					call.unset = q
				case omitted:
					call.omit = q
				}
			}
			if call.null != "" {
				out = append(out, call)
			}
		}
	}
	return out
}

// selection selects a type's scalar fields that take no arguments, and those of its
// connection's nodes and pageInfo, so that answers show what the defaults chose.
func selection(sch *ast.Schema, typ ast.Type, depth int) string {
	typ, _ = unwrapLists(typ, nil)
	obj, ok := typ.(*ast.ObjectTypeDefinition)
	if !ok {
		if _, scalar := typ.(*ast.ScalarTypeDefinition); scalar {
			return ""
		}
		if _, enum := typ.(*ast.EnumTypeDefinition); enum {
			return ""
		}
		return " { __typename }"
	}
	parts := []string{"__typename"}
	for _, f := range obj.Fields {
		if len(f.Arguments) > 0 {
			continue
		}
		inner := f.Type
		for {
			if nn, ok := inner.(*ast.NonNull); ok {
				inner = nn.OfType
				continue
			}
			if l, ok := inner.(*ast.List); ok {
				inner = l.OfType
				continue
			}
			break
		}
		switch inner.(type) {
		case *ast.ScalarTypeDefinition, *ast.EnumTypeDefinition:
			parts = append(parts, f.Name)
		default:
			if depth > 1 && (f.Name == "nodes" || f.Name == "pageInfo") {
				parts = append(parts, f.Name+selection(sch, f.Type, depth-1))
			}
		}
	}
	return " { " + strings.Join(parts, " ") + " }"
}

// packingErrors are graphql-go's messages for an argument it could not pack.
var packingErrors = []string{"got null for", "could not unmarshal", "wrong type", "incompatible type", "is not a"}

// TestExplicitNullForDefaultedArguments sends every Query and Mutation field that has a
// defaulted argument (or input field under its arguments) with each of them null, as a
// literal and as an unset variable, and asserts graphql-go took the nulls; a query must
// answer the nulls as it answers them omitted (null is the default). Mutations run once
// each against a database of their own with placeholder values, which mostly fail
// validation after the arguments were packed; that they were packed is what counts here.
// Over 50 repositories make the connections' default page size matter.
func TestExplicitNullForDefaultedArguments(t *testing.T) {
	e := newCampaignsEnv(t, apitest.Options{})
	ctx := context.Background()
	var many []store.SourcedRepo
	for i := 0; i < resolvers.DefaultPageSize+5; i++ {
		many = append(many, store.SourcedRepo{Name: fmt.Sprintf("local/many-%02d", i), CloneURL: fmt.Sprintf("/tmp/many-%02d", i), DefaultBranch: "main"})
	}
	svc, err := e.Store.ExternalServices().Create(ctx, "GIT", "many", `{"repos":[]}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, many, false); err != nil {
		t.Fatal(err)
	}
	calls := nullCalls(t)
	var queries, mutations, nulls int
	for _, c := range calls {
		nulls += len(c.nulls)
		if c.op == "query" {
			queries++
		} else {
			mutations++
		}
		check := func(how, q string) *apitest.Response {
			r := e.Do(t, e.AdminToken, q, nil)
			for _, err := range r.Errors {
				for _, p := range packingErrors {
					if strings.Contains(err.Message, p) {
						t.Errorf("%s.%s with %s nulls (%s): %s\n%s", c.op, c.field, how, strings.Join(c.nulls, ", "), err.Message, q)
					}
				}
			}
			return r
		}
		withNull := check("literal", c.null)
		if c.op == "mutation" {
			continue // run once: a second run would meet the first one's rows
		}
		withUnset := check("unset variable", c.unset)
		omitted := check("no", c.omit)
		for _, r := range []*apitest.Response{withNull, withUnset} {
			if string(r.Data) != string(omitted.Data) || r.Code() != omitted.Code() {
				t.Errorf("%s with nulls answered\n%s %s\nbut with them omitted\n%s %s", c.field, r.Data, r.Code(), omitted.Data, omitted.Code())
			}
		}
	}
	t.Logf("%d queries and %d mutations, %d nulls each way", queries, mutations, nulls)
	if queries < 5 || mutations < 5 {
		t.Errorf("only %d queries and %d mutations with defaulted arguments: the walk missed part of the schema", queries, mutations)
	}
	// Null or omitted, first is 50 of the 57 repositories.
	var repos struct {
		Repositories struct {
			Nodes    []struct{ Name string }
			PageInfo struct{ HasNextPage bool }
		}
	}
	e.MustDo(t, e.AdminToken, `{ repositories(first: null, cloned: null, notCloned: null, notIndexed: null, orderBy: null, descending: null) { nodes { name } pageInfo { hasNextPage } } }`, nil, &repos)
	if len(repos.Repositories.Nodes) != resolvers.DefaultPageSize || !repos.Repositories.PageInfo.HasNextPage || repos.Repositories.Nodes[0].Name != "local/many-00" {
		t.Errorf("repositories with nulls: %d nodes from %+v, hasNextPage %v", len(repos.Repositories.Nodes), repos.Repositories.Nodes[:1], repos.Repositories.PageInfo.HasNextPage)
	}
}
