package resolvers

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/errcode"
)

// marshalID makes a relay-style opaque ID of an object kind and its row id.
func marshalID(kind string, id int64) graphql.ID { return relay.MarshalID(kind, id) }

// unmarshalID decodes id, checking that it names an object of kind.
func unmarshalID(id graphql.ID, kind string) (int64, error) {
	got, n, err := decodeID(id)
	if err != nil {
		return 0, err
	}
	if got != kind {
		return 0, errcode.New(errcode.BadInput, "ID %q is a %s, want a %s", id, got, kind)
	}
	return n, nil
}

// decodeID returns the kind and row id of an opaque ID.
func decodeID(id graphql.ID) (kind string, n int64, err error) {
	defer func() {
		// relay.UnmarshalSpec can panic on some malformed inputs in older versions; treat
		// every failure as bad input.
		if p := recover(); p != nil {
			kind, n, err = "", 0, errcode.New(errcode.BadInput, "invalid ID %q", id)
		}
	}()
	kind = relay.UnmarshalKind(id)
	if kind == "" {
		return "", 0, errcode.New(errcode.BadInput, "invalid ID %q", id)
	}
	if err := relay.UnmarshalSpec(id, &n); err != nil || n <= 0 {
		return "", 0, errcode.New(errcode.BadInput, "invalid ID %q", id)
	}
	return kind, n, nil
}

// Cursors are opaque to clients; they hold the row id the next page starts after.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("cursor:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(cursor string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		var n int64
		if _, err := fmt.Sscanf(string(raw), "cursor:%d", &n); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, errcode.New(errcode.BadInput, "invalid cursor %q: pass the endCursor of a previous page", cursor)
}

func encodeStringCursor(s string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("cursor:s:" + s))
}

func decodeStringCursor(cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		if s, ok := strings.CutPrefix(string(raw), "cursor:s:"); ok {
			return s, nil
		}
	}
	return "", errcode.New(errcode.BadInput, "invalid cursor %q: pass the endCursor of a previous page", cursor)
}
