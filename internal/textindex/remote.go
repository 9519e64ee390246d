package textindex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/sourcegraph/zoekt"
	proto "github.com/sourcegraph/zoekt/grpc/protos/zoekt/webserver/v1"
	"github.com/sourcegraph/zoekt/query"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Remote searches zoekt-webservers (ZOEKT_ENDPOINTS) over their gRPC API, which they
// serve on their HTTP port. Each shard build lands in the directory of the webserver
// beside the worker that ran it, so a repository may sit on any endpoint, and for a while
// on two (an older shard where an earlier build ran): every search lists the
// repositories of every endpoint and reads each repository from one endpoint that holds
// the version wanted, so none is read twice and no stale shard is read at all.
type Remote struct {
	endpoints []string
	conns     []*grpc.ClientConn
	clients   []zoekt.Streamer
	// remainders are kept by repository and version, whichever endpoint served them.
	remainders *remainderCache
}

// NewRemote connects (lazily) to the endpoints, host:port each.
func NewRemote(endpoints []string) (*Remote, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("textindex: no zoekt endpoints")
	}
	r := &Remote{endpoints: slices.Clone(endpoints), remainders: newRemainderCache()}
	for _, ep := range endpoints {
		// Whole documents travel in one response: no message size limit but int's.
		conn, err := grpc.Dial(ep, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32)))
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("zoekt endpoint %s: %w", ep, err)
		}
		r.conns = append(r.conns, conn)
		r.clients = append(r.clients, &grpcSearcher{endpoint: ep, c: proto.NewWebserverServiceClient(conn)})
	}
	return r, nil
}

// each calls fn for every endpoint at once and returns the first error.
func (r *Remote) each(fn func(i int, s zoekt.Streamer) error) error {
	errs := make([]error, len(r.clients))
	var wg sync.WaitGroup
	for i, s := range r.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i, s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// endpointVersions lists the branches and versions each endpoint holds of ids.
func (r *Remote) endpointVersions(ctx context.Context, ids []uint32) ([]map[uint32][]zoekt.RepositoryBranch, error) {
	out := make([]map[uint32][]zoekt.RepositoryBranch, len(r.clients))
	err := r.each(func(i int, s zoekt.Streamer) error {
		var err error
		out[i], err = versions(ctx, s, ids)
		return err
	})
	return out, err
}

func (r *Remote) Versions(ctx context.Context, ids []uint32) (map[uint32][]string, error) {
	per, err := r.endpointVersions(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[uint32][]string{}
	for _, vs := range per {
		for id, bs := range vs {
			if v := branchVersion(bs, DefaultBranch); v != "" {
				out[id] = append(out[id], v)
			}
		}
	}
	return out, nil
}

func (r *Remote) Search(ctx context.Context, q query.Q, branch string, want map[uint32]string) (*Result, error) {
	ids := make([]uint32, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	per, err := r.endpointVersions(ctx, ids)
	if err != nil {
		return nil, err
	}
	// Each repository from the first endpoint that holds the version wanted.
	assigned := make([]map[uint32]string, len(r.clients))
	for i := range assigned {
		assigned[i] = map[uint32]string{}
	}
	for id, v := range want {
		for i, vs := range per {
			if branchVersion(vs[id], branch) == v {
				assigned[i][id] = v
				break
			}
		}
	}
	results := make([]*Result, len(r.clients))
	err = r.each(func(i int, s zoekt.Streamer) error {
		var err error
		results[i], err = searchCurrent(ctx, s, q, branch, assigned[i], per[i], r.remainders)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &Result{Answered: map[uint32]bool{}, Remainders: map[uint32][]RemainderFile{}}
	for _, res := range results {
		out.Files = append(out.Files, res.Files...)
		for id := range res.Answered {
			out.Answered[id] = true
			out.Remainders[id] = res.Remainders[id]
		}
	}
	return out, nil
}

func (r *Remote) Entry(ctx context.Context, id uint32, version string) (*zoekt.RepoListEntry, error) {
	entries := make([]*zoekt.RepoListEntry, len(r.clients))
	err := r.each(func(i int, s zoekt.Streamer) error {
		var err error
		entries[i], err = entry(ctx, s, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pickEntry(entries, version), nil
}

func (r *Remote) Close() {
	for _, c := range r.conns {
		_ = c.Close()
	}
}

// grpcSearcher is a zoekt.Searcher over one webserver's gRPC API.
type grpcSearcher struct {
	endpoint string
	c        proto.WebserverServiceClient
}

func (g *grpcSearcher) Search(ctx context.Context, q query.Q, opts *zoekt.SearchOptions) (*zoekt.SearchResult, error) {
	resp, err := g.c.Search(ctx, &proto.SearchRequest{Query: query.QToProto(q), Opts: opts.ToProto()})
	if err != nil {
		return nil, fmt.Errorf("zoekt endpoint %s: %w", g.endpoint, err)
	}
	return zoekt.SearchResultFromProto(resp, nil, nil), nil
}

// StreamSearch reads the webserver's streamed answer (large results come in chunks).
func (g *grpcSearcher) StreamSearch(ctx context.Context, q query.Q, opts *zoekt.SearchOptions, sender zoekt.Sender) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := g.c.StreamSearch(ctx, &proto.StreamSearchRequest{Request: &proto.SearchRequest{Query: query.QToProto(q), Opts: opts.ToProto()}})
	if err != nil {
		return fmt.Errorf("zoekt endpoint %s: %w", g.endpoint, err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("zoekt endpoint %s: %w", g.endpoint, err)
		}
		sender.Send(zoekt.SearchResultFromStreamProto(msg, nil, nil))
	}
}

func (g *grpcSearcher) List(ctx context.Context, q query.Q, opts *zoekt.ListOptions) (*zoekt.RepoList, error) {
	resp, err := g.c.List(ctx, &proto.ListRequest{Query: query.QToProto(q), Opts: opts.ToProto()})
	if err != nil {
		return nil, fmt.Errorf("zoekt endpoint %s: %w", g.endpoint, err)
	}
	return zoekt.RepoListFromProto(resp), nil
}

func (g *grpcSearcher) Close()         {}
func (g *grpcSearcher) String() string { return "grpc:" + g.endpoint }
