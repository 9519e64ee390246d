package resolvers

import (
	"context"
	"sync"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// ConnectionArgs are the relay pagination arguments every connection field takes. In the
// SDL `first` always has a default (or is required): graphql-go cannot put a default into
// a pointer.
type ConnectionArgs struct {
	First int32
	After *string
}

// MaxPageSize is the largest `first` a connection accepts.
const MaxPageSize = 1000

// DefaultPageSize is the page of a connection whose `first` is null or omitted.
const DefaultPageSize = 50

// NullableFirstArgs are the pagination arguments of the list fields that Sourcegraph's
// clients call with a variable that may be null (src repos list -first=-1 sends
// first: null). graphql-go rejects a null for an argument with a default, so these
// fields declare `first: Int` without one and the default is applied here.
type NullableFirstArgs struct {
	First *int32
	After *string
}

// connectionArgs returns the arguments with the default page size filled in.
func (a NullableFirstArgs) connectionArgs() ConnectionArgs {
	first := int32(DefaultPageSize)
	if a.First != nil {
		first = *a.First
	}
	return ConnectionArgs{First: first, After: a.After}
}

// page turns the arguments into a store page that asks for one extra row, so the
// connection knows whether another page follows.
func (a ConnectionArgs) page() (store.Page, error) {
	first := int(a.First)
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
