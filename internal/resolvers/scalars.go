package resolvers

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// DateTime is the DateTime scalar: an RFC 3339 timestamp in UTC.
type DateTime struct{ time.Time }

func newDateTime(t time.Time) DateTime { return DateTime{t} }

func newDateTimePtr(t *time.Time) *DateTime {
	if t == nil || t.IsZero() {
		return nil
	}
	return &DateTime{*t}
}

func (DateTime) ImplementsGraphQLType(name string) bool { return name == "DateTime" }

func (t DateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.Time.UTC().Format(time.RFC3339))
}

func (t *DateTime) UnmarshalGraphQL(input any) error {
	s, ok := input.(string)
	if !ok {
		return fmt.Errorf("DateTime must be an RFC 3339 string, got %T", input)
	}
	parsed, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("DateTime must be an RFC 3339 string such as 2024-01-31T12:00:00Z: %v", err)
	}
	t.Time = parsed
	return nil
}

// JSONValue is the JSONValue scalar: any JSON value, passed through.
type JSONValue struct{ Value any }

func (JSONValue) ImplementsGraphQLType(name string) bool { return name == "JSONValue" }

func (v JSONValue) MarshalJSON() ([]byte, error) { return json.Marshal(v.Value) }

func (v *JSONValue) UnmarshalGraphQL(input any) error {
	v.Value = input
	return nil
}

// BigInt is the BigInt scalar: an integer that may not fit a GraphQL Int (32 bits),
// sent as a decimal string so that JavaScript clients keep every digit.
type BigInt int64

func (BigInt) ImplementsGraphQLType(name string) bool { return name == "BigInt" }

func (n BigInt) MarshalJSON() ([]byte, error) { return json.Marshal(strconv.FormatInt(int64(n), 10)) }

func (n *BigInt) UnmarshalGraphQL(input any) error {
	var s string
	switch v := input.(type) {
	case string:
		s = v
	case int32:
		*n = BigInt(v)
		return nil
	default:
		return fmt.Errorf("BigInt must be a decimal string, got %T", input)
	}
	parsed, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("BigInt must be a decimal string of a 64-bit integer, got %q", s)
	}
	*n = BigInt(parsed)
	return nil
}
