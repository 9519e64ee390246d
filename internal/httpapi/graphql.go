// Package httpapi serves Lookout's HTTP endpoints: the GraphQL API, health and readiness,
// metrics, and the middleware every request passes through (request logging, metrics,
// panic recovery).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/sourcegraph/log"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/lookout/lookout/internal/errcode"
)

// Error codes of failures that happen before execution. They follow Apollo Server's names,
// which most GraphQL clients know.
const (
	CodeParseFailed      = "GRAPHQL_PARSE_FAILED"
	CodeValidationFailed = "GRAPHQL_VALIDATION_FAILED"
	CodeQueryTooDeep     = "QUERY_TOO_DEEP"
	CodeQueryTooComplex  = "QUERY_TOO_COMPLEX"
)

// GraphQLHandler serves POST (and GET, for queries) /.api/graphql.
type GraphQLHandler struct {
	Schema  *graphql.Schema
	Logger  log.Logger
	MaxCost float64 // 0 disables the cost limit
	// MaxExpensiveFields bounds the fields that run searches in one operation (0:
	// DefaultMaxExpensiveFields).
	MaxExpensiveFields int
	// MaxBodyBytes bounds the request body.
	MaxBodyBytes int64
}

// DefaultMaxCost is the default estimated-cost limit of one operation. It lets through
// the listings Sourcegraph's src CLI sends by default, which scripts run unchanged:
// 1,000 users with their organizations (estimated 213,001) and 1,000 organizations
// with their members (156,001).
const DefaultMaxCost = 250_000

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// opNameKey carries the operation name to the request logger.
type opNameKey struct{}

func (h *GraphQLHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, status, err := h.decode(w, r)
	if err != nil {
		errcode.WriteHTTP(w, status, errcode.BadInput, err.Error())
		return
	}
	if slot, ok := r.Context().Value(opNameKey{}).(*string); ok {
		*slot = req.OperationName
	}

	// Validate before executing, so malformed and oversized requests get 400 and a code a
	// client can act on, instead of a 200 with a bare message.
	if errs := h.Schema.ValidateWithVariables(req.Query, req.Variables); len(errs) > 0 {
		code := CodeValidationFailed
		for _, e := range errs {
			switch {
			case errors.Is(e, gqlerrors.ErrSyntax) || strings.HasPrefix(e.Message, "syntax error"):
				code = CodeParseFailed
			case e.Rule == "MaxDepthExceeded":
				code = CodeQueryTooDeep
			}
		}
		for _, e := range errs {
			e.Extensions = map[string]any{"code": code}
		}
		writeResponse(w, http.StatusBadRequest, &graphql.Response{Errors: errs})
		return
	}

	doc, perr := parser.ParseQuery(&ast.Source{Input: req.Query})
	if perr != nil { // graph-gophers accepted it; keep going without a cost estimate
		h.Logger.Warn("gqlparser rejected a query graph-gophers accepted", log.Error(perr))
	} else if op := pickOperation(doc, req.OperationName); op != nil {
		if r.Method == http.MethodGet && op.Operation != ast.Query {
			w.Header().Set("Allow", "POST")
			errcode.WriteHTTP(w, http.StatusMethodNotAllowed, errcode.BadInput, "mutations must use POST")
			return
		}
		if msg, ext := h.tooExpensive(estimateCost(doc, op, req.Variables)); msg != "" {
			writeResponse(w, http.StatusBadRequest, &graphql.Response{Errors: []*gqlerrors.QueryError{{Message: msg, Extensions: ext}}})
			return
		}
	}

	resp := h.Schema.Exec(r.Context(), req.Query, req.OperationName, req.Variables)
	h.finishErrors(r.Context(), resp.Errors)
	writeResponse(w, http.StatusOK, resp)
}

// tooExpensive says why an operation may not run, with the error's extensions, or ""
// when it may.
func (h *GraphQLHandler) tooExpensive(est costEstimate) (string, map[string]any) {
	maxExpensive := h.MaxExpensiveFields
	if maxExpensive <= 0 {
		maxExpensive = DefaultMaxExpensiveFields
	}
	if n := est.expensiveCount(); n > maxExpensive {
		names := make([]string, 0, len(est.Expensive))
		for name, k := range est.Expensive {
			names = append(names, fmt.Sprintf("%s ×%d", name, k))
		}
		slices.Sort(names)
		return fmt.Sprintf("query is too expensive: it runs %d searches or previews (%s) and one request may run at most %d; send them in separate requests",
				n, strings.Join(names, ", "), maxExpensive),
			map[string]any{"code": CodeQueryTooComplex, "expensiveFields": n, "maxExpensiveFields": maxExpensive}
	}
	if h.MaxCost > 0 && est.Cost > h.MaxCost {
		return fmt.Sprintf("query is too expensive: estimated cost %.0f exceeds the limit of %.0f (a search or preview counts %d); ask for smaller pages (first:) or fewer nested connections", est.Cost, h.MaxCost, SearchWeight),
			map[string]any{"code": CodeQueryTooComplex, "cost": est.Cost, "maxCost": h.MaxCost}
	}
	return "", nil
}

func pickOperation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	if name != "" {
		return doc.Operations.ForName(name)
	}
	if len(doc.Operations) == 1 {
		return doc.Operations[0]
	}
	return nil
}

// finishErrors gives every resolver error a code. Errors without one are bugs or
// infrastructure failures: they are logged in full and shown as a generic internal error,
// so SQL or file paths never leak to clients.
func (h *GraphQLHandler) finishErrors(ctx context.Context, errs []*gqlerrors.QueryError) {
	for _, e := range errs {
		if e.Extensions != nil && e.Extensions["code"] != nil {
			continue
		}
		if e.ResolverError != nil {
			var coded *errcode.Error
			if errors.As(e.ResolverError, &coded) {
				e.Message = coded.Message
				e.Extensions = coded.Extensions()
				continue
			}
			if errors.Is(e.ResolverError, context.Canceled) || errors.Is(e.ResolverError, context.DeadlineExceeded) {
				e.Extensions = map[string]any{"code": "TIMEOUT"}
				continue
			}
			h.Logger.Error("GraphQL resolver failed", log.String("path", fmt.Sprint(e.Path)), log.Error(e.ResolverError))
			e.Message = "internal server error"
			e.Extensions = map[string]any{"code": errcode.Internal}
			continue
		}
		e.Extensions = map[string]any{"code": CodeValidationFailed}
	}
}

func (h *GraphQLHandler) decode(w http.ResponseWriter, r *http.Request) (*gqlRequest, int, error) {
	var req gqlRequest
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &req.Variables); err != nil {
				return nil, http.StatusBadRequest, fmt.Errorf("variables must be a JSON object: %v", err)
			}
		}
	case http.MethodPost:
		limit := h.MaxBodyBytes
		if limit <= 0 {
			limit = 1 << 20
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body too large (limit %d bytes)", limit)
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "application/graphql" {
			req.Query = string(body)
		} else if err := json.Unmarshal(body, &req); err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf(`body must be JSON {"query": ..., "variables": {...}, "operationName": ...}: %v`, err)
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		return nil, http.StatusMethodNotAllowed, errors.New("use POST (or GET for queries)")
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, http.StatusBadRequest, errors.New("missing query")
	}
	return &req, 0, nil
}

func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}
