package resolvers

import (
	"fmt"

	graphql "github.com/graph-gophers/graphql-go"
)

// Arguments and input fields that have a default in the schema (`first: Int = 50`,
// `orderBy: RepositoryOrderBy = REPOSITORY_NAME`) may still be sent as an explicit null:
// in GraphQL a null is a value, and a client that fills variables from optional form
// fields sends one (or leaves a variable unset, which graphql-go treats the same).
// graphql-go fills the default in only when the argument is omitted and hands a null to
// the resolver; packed into a plain int32, bool or string that fails the whole request
// with "got null for non-null", and graphql-go cannot pack a default into a pointer. So
// such fields are graphql.NullInt, graphql.NullBool, graphql.NullString or NullEnum, and
// unless a field's doc says otherwise null means the same default as omitting it.
// TestEveryDefaultedArgumentTakesNull walks the schema for fields that are not.

// intOr is n's value, or def when n is null.
func intOr(n graphql.NullInt, def int32) int32 {
	if n.Value == nil {
		return def
	}
	return *n.Value
}

// boolOr is b's value, or def when b is null.
func boolOr(b graphql.NullBool, def bool) bool {
	if b.Value == nil {
		return def
	}
	return *b.Value
}

// stringOr is s's value, or def when s is null.
func stringOr(s graphql.NullString, def string) string {
	if s.Value == nil {
		return def
	}
	return *s.Value
}

// enumType names the GraphQL enum a NullEnum stands for.
type enumType interface{ enumName() string }

// NullEnum is a value of the enum E names, or null: graphql.NullString for enums.
type NullEnum[E enumType] struct {
	Value *string
	Set   bool
}

func (NullEnum[E]) ImplementsGraphQLType(name string) bool {
	var e E
	return name == e.enumName()
}

func (n *NullEnum[E]) UnmarshalGraphQL(input any) error {
	n.Set = true
	if input == nil {
		n.Value = nil
		return nil
	}
	s, ok := input.(string)
	if !ok {
		var e E
		return fmt.Errorf("wrong type for %s: %T", e.enumName(), input)
	}
	n.Value = &s
	return nil
}

// Nullable tells graphql-go that a null may be packed into a NullEnum.
func (NullEnum[E]) Nullable() {}

// Or is the value, or def when null.
func (n NullEnum[E]) Or(def string) string {
	if n.Value == nil {
		return def
	}
	return *n.Value
}
