package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/keegancsmith/sqlf"
)

// SearchContext is a named set of repository filters, used as context:NAME in queries.
type SearchContext struct {
	ID          int64
	Name        string
	Description string
	// Query holds the repository filters (repo:, -repo:, fork:, archived:, visibility:,
	// combined with AND/OR), in query syntax.
	Query     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SearchStore reads and writes search contexts and the per-blob match count memo.
type SearchStore struct{ s *Store }

func (s *Store) Search() *SearchStore { return &SearchStore{s} }

const searchContextColumns = "id, name, description, query, created_at, updated_at"

func scanSearchContext(row pgx.Row) (*SearchContext, error) {
	var c SearchContext
	err := row.Scan(&c.ID, &c.Name, &c.Description, &c.Query, &c.CreatedAt, &c.UpdatedAt)
	return &c, err
}

// ErrSearchContextExists is returned when a search context name is taken.
var ErrSearchContextExists = errors.New("a search context with this name already exists")

// CreateSearchContext stores a context. The caller validates the query.
func (ss *SearchStore) CreateSearchContext(ctx context.Context, name, description, query string) (*SearchContext, error) {
	c, err := scanSearchContext(ss.s.queryRow(ctx, sqlf.Sprintf(
		"INSERT INTO search_contexts (name, description, query) VALUES (%s, %s, %s) RETURNING "+searchContextColumns, name, description, query)))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return nil, ErrSearchContextExists
	}
	return c, err
}

// SearchContextByName returns a context by name (case-insensitive).
func (ss *SearchStore) SearchContextByName(ctx context.Context, name string) (*SearchContext, error) {
	c, err := scanSearchContext(ss.s.queryRow(ctx, sqlf.Sprintf("SELECT "+searchContextColumns+" FROM search_contexts WHERE name = %s", name)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("search context %q", name)
	}
	return c, err
}

// SearchContextByID returns a context by id.
func (ss *SearchStore) SearchContextByID(ctx context.Context, id int64) (*SearchContext, error) {
	c, err := scanSearchContext(ss.s.queryRow(ctx, sqlf.Sprintf("SELECT "+searchContextColumns+" FROM search_contexts WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("search context %d", id)
	}
	return c, err
}

// SearchContextListOptions select a page of contexts, ordered by name.
type SearchContextListOptions struct {
	// Query keeps contexts whose name or description contains it (case-insensitive).
	Query string
	// After keeps contexts whose name sorts after it (a page's last name).
	After string
	// Limit bounds the rows (0: all).
	Limit int
}

func (o SearchContextListOptions) where() squirrel.And {
	conds := squirrel.And{}
	if o.Query != "" {
		like := "%" + escapeLike(o.Query) + "%"
		conds = append(conds, squirrel.Or{squirrel.ILike{"name": like}, squirrel.ILike{"description": like}})
	}
	return conds
}

// ListSearchContexts returns contexts by name (case-insensitive order).
func (ss *SearchStore) ListSearchContexts(ctx context.Context, opts SearchContextListOptions) ([]*SearchContext, error) {
	q := psql.Select(searchContextColumns).From("search_contexts").Where(opts.where()).OrderBy("name")
	if opts.After != "" {
		q = q.Where("name > ?", opts.After)
	}
	if opts.Limit > 0 {
		q = q.Limit(uint64(opts.Limit))
	}
	return collectBuilt(ctx, ss.s, q, scanSearchContext)
}

// CountSearchContexts counts the contexts ListSearchContexts would return without After
// and Limit.
func (ss *SearchStore) CountSearchContexts(ctx context.Context, opts SearchContextListOptions) (int, error) {
	return ss.s.countBuilt(ctx, psql.Select("count(*)").From("search_contexts").Where(opts.where()))
}

// DeleteSearchContext removes a context by name.
func (ss *SearchStore) DeleteSearchContext(ctx context.Context, name string) error {
	tag, err := ss.s.exec(ctx, sqlf.Sprintf("DELETE FROM search_contexts WHERE name = %s", name))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("search context %q", name)
	}
	return err
}

// DeleteSearchContextByID removes a context by id.
func (ss *SearchStore) DeleteSearchContextByID(ctx context.Context, id int64) error {
	tag, err := ss.s.exec(ctx, sqlf.Sprintf("DELETE FROM search_contexts WHERE id = %s", id))
	if err == nil && tag.RowsAffected() == 0 {
		return notFound("search context %d", id)
	}
	return err
}

// BlobCount is a memoized match count of one content matcher in one blob.
type BlobCount struct {
	OID      string // hex object id
	Matches  int
	Lines    int
	Binary   bool
	Captures map[string]int
}

func decodeOIDs(oids []string) ([][]byte, error) {
	out := make([][]byte, len(oids))
	for i, o := range oids {
		b, err := hex.DecodeString(o)
		if err != nil {
			return nil, fmt.Errorf("invalid object id %q", o)
		}
		out[i] = b
	}
	return out, nil
}

// GetBlobCounts returns the memoized counts of signature for those of oids that have one.
func (ss *SearchStore) GetBlobCounts(ctx context.Context, signature []byte, oids []string) ([]BlobCount, error) {
	if len(oids) == 0 {
		return nil, nil
	}
	raw, err := decodeOIDs(oids)
	if err != nil {
		return nil, err
	}
	return collect(ctx, ss.s, sqlf.Sprintf("SELECT blob_oid, matches, lines, is_binary, captures FROM search_blob_counts WHERE signature = %s AND blob_oid = ANY(%s)", signature, raw),
		func(row pgx.Row) (BlobCount, error) {
			var c BlobCount
			var oid, caps []byte
			if err := row.Scan(&oid, &c.Matches, &c.Lines, &c.Binary, &caps); err != nil {
				return c, err
			}
			c.OID = hex.EncodeToString(oid)
			if caps != nil {
				if err := json.Unmarshal(caps, &c.Captures); err != nil {
					return c, fmt.Errorf("blob count captures: %w", err)
				}
			}
			return c, nil
		})
}

// PutBlobCounts stores counts of signature in one statement; existing rows are kept
// (a blob's count never changes).
func (ss *SearchStore) PutBlobCounts(ctx context.Context, signature []byte, counts []BlobCount) error {
	if len(counts) == 0 {
		return nil
	}
	n := len(counts)
	oids := make([]string, n)
	matches, lines := make([]int64, n), make([]int64, n)
	binary := make([]bool, n)
	caps := make([]*string, n)
	for i, c := range counts {
		oids[i], matches[i], lines[i], binary[i] = c.OID, int64(c.Matches), int64(c.Lines), c.Binary
		if c.Captures != nil {
			b, err := json.Marshal(c.Captures)
			if err != nil {
				return err
			}
			s := string(b)
			caps[i] = &s
		}
	}
	raw, err := decodeOIDs(oids)
	if err != nil {
		return err
	}
	_, err = ss.s.exec(ctx, sqlf.Sprintf(`INSERT INTO search_blob_counts (signature, blob_oid, matches, lines, is_binary, captures)
SELECT %s, * FROM unnest(%s::bytea[], %s::int[], %s::int[], %s::bool[], %s::jsonb[])
ON CONFLICT DO NOTHING`, signature, raw, matches, lines, binary, caps))
	if err != nil {
		return fmt.Errorf("storing %d blob counts: %w", n, err)
	}
	return nil
}

// pruneBatch bounds the rows one DELETE of PruneBlobCounts removes, so that pruning a
// large table holds no long transaction and no lock on many rows at once.
const pruneBatch = 10000

// PruneBlobCounts bounds the memo of per-blob counts: it deletes the counts stored
// before before (none when before is zero) and then, while more than maxRows remain
// (no bound when maxRows <= 0), the oldest ones. It deletes in batches and returns how
// many rows it deleted. A count is true forever, so what goes is only recomputed when
// needed again.
func (ss *SearchStore) PruneBlobCounts(ctx context.Context, before time.Time, maxRows int64) (int64, error) {
	var deleted int64
	if !before.IsZero() {
		for {
			tag, err := ss.s.exec(ctx, sqlf.Sprintf(`DELETE FROM search_blob_counts WHERE ctid = ANY(ARRAY(
SELECT ctid FROM search_blob_counts WHERE created_at < %s LIMIT %s))`, before, pruneBatch))
			if err != nil {
				return deleted, fmt.Errorf("pruning blob counts older than %s: %w", before.Format(time.RFC3339), err)
			}
			deleted += tag.RowsAffected()
			if tag.RowsAffected() < pruneBatch {
				break
			}
		}
	}
	if maxRows <= 0 {
		return deleted, nil
	}
	var n int64
	if err := ss.s.queryRow(ctx, sqlf.Sprintf("SELECT count(*) FROM search_blob_counts")).Scan(&n); err != nil {
		return deleted, fmt.Errorf("counting blob counts: %w", err)
	}
	for excess := n - maxRows; excess > 0; {
		tag, err := ss.s.exec(ctx, sqlf.Sprintf(`DELETE FROM search_blob_counts WHERE ctid = ANY(ARRAY(
SELECT ctid FROM search_blob_counts ORDER BY created_at LIMIT %s))`, min(excess, pruneBatch)))
		if err != nil {
			return deleted, fmt.Errorf("pruning blob counts to %d rows: %w", maxRows, err)
		}
		deleted += tag.RowsAffected()
		excess -= tag.RowsAffected()
		if tag.RowsAffected() == 0 {
			break // others pruned them meanwhile
		}
	}
	return deleted, nil
}
