package resolvers

import (
	"context"
	"sync"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// ConnectionArgs are the relay pagination arguments every connection field takes:
// `first: Int = 50, after: String`, or `first: Int` without the default on the list
// fields Sourcegraph's clients page with a variable that may be unset. An explicit null
// for first means the default page size, as an omitted one does: graphql-go hands a
// null through instead of the default, so First is a graphql.NullInt.
type ConnectionArgs struct {
	First graphql.NullInt
	After *string
}

// MaxPageSize is the largest `first` a connection accepts.
const MaxPageSize = 1000

// DefaultPageSize is the page of a connection whose `first` is null or omitted; the SDL's
// defaults say the same (TestEveryDefaultedArgumentTakesNull checks).
const DefaultPageSize = 50

// page turns the arguments into a store page that asks for one extra row, so the
// connection knows whether another page follows.
func (a ConnectionArgs) page() (store.Page, error) {
	first := int(intOr(a.First, DefaultPageSize))
	if first < 0 {
		return store.Page{}, errcode.New(errcode.BadInput, "first must not be negative")
	}
	if first > MaxPageSize {
		return store.Page{}, errcode.New(errcode.BadInput, "first must be at most %d", MaxPageSize)
	}
	p := store.Page{Limit: first + 1}
	if a.After != nil && *a.After != "" {
		after, err := decodeCursor(*a.After)
		if err != nil {
			return store.Page{}, err
		}
		p.After = after
	}
	return p, nil
}

// PageInfo resolves the PageInfo type.
type PageInfo struct {
	hasNextPage bool
	endCursor   *string
}

func (p *PageInfo) HasNextPage() bool  { return p.hasNextPage }
func (p *PageInfo) EndCursor() *string { return p.endCursor }

// connection is a page of nodes with lazy totalCount. Store queries fetch page.Limit rows
// (one more than asked); newConnection trims the extra row and sets pageInfo from it.
type connection[T any] struct {
	nodes    []T
	pageInfo *PageInfo
	count    func(ctx context.Context) (int, error)

	once  sync.Once
	total int
	err   error
}

// newConnection builds a connection from rows fetched with page, where id gives the row
// id a cursor points after.
func newConnection[R any, T any](rows []R, page store.Page, id func(R) int64, resolve func(R) T, count func(ctx context.Context) (int, error)) *connection[T] {
	return newConnectionWithCursor(rows, page, func(r R) string { return encodeCursor(id(r)) }, resolve, count)
}

// newConnectionWithCursor is newConnection for lists not ordered by id: cursor encodes
// the position after a row.
func newConnectionWithCursor[R any, T any](rows []R, page store.Page, cursor func(R) string, resolve func(R) T, count func(ctx context.Context) (int, error)) *connection[T] {
	c := &connection[T]{pageInfo: &PageInfo{}, count: count}
	if page.Limit > 0 && len(rows) >= page.Limit {
		rows = rows[:page.Limit-1]
		c.pageInfo.hasNextPage = true
	}
	c.nodes = make([]T, 0, len(rows))
	for _, r := range rows {
		c.nodes = append(c.nodes, resolve(r))
	}
	if c.pageInfo.hasNextPage && len(rows) > 0 {
		cur := cursor(rows[len(rows)-1])
		c.pageInfo.endCursor = &cur
	}
	return c
}

func (c *connection[T]) Nodes() []T          { return c.nodes }
func (c *connection[T]) PageInfo() *PageInfo { return c.pageInfo }

func (c *connection[T]) TotalCount(ctx context.Context) (int32, error) {
	c.once.Do(func() { c.total, c.err = c.count(ctx) })
	return int32(c.total), c.err
}
