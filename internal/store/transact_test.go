package store_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// poolUsesInTransactions finds, in one file, closures given to Transact or InTx that use
// the handle the transaction was begun on (`cs.s.Transact(ctx, func(tx *Store) error {
// ... cs.s.Users() ... })`): such code holds the transaction's connection while it waits
// for a second one from the same pool, which deadlocks a small pool under load.
func poolUsesInTransactions(fset *token.FileSet, f *ast.File) []string {
	text := func(n ast.Node) string {
		var b bytes.Buffer
		_ = printer.Fprint(&b, fset, n)
		return b.String()
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Transact" && sel.Sel.Name != "InTx") {
			return true
		}
		handle := text(sel.X)
		if sel.Sel.Name == "InTx" && len(call.Args) == 3 {
			handle = text(call.Args[1]) // database.InTx(ctx, db, fn)
		}
		for _, arg := range call.Args {
			lit, ok := arg.(*ast.FuncLit)
			if !ok {
				continue
			}
			ast.Inspect(lit.Body, func(m ast.Node) bool {
				if e, ok := m.(ast.Expr); ok && text(e) == handle {
					out = append(out, fmt.Sprintf("%s: uses %s inside the transaction begun on it", fset.Position(e.Pos()), handle))
					return false
				}
				return true
			})
		}
		return true
	})
	return out
}

// TestNoPoolUseInsideTransactions checks every non-test source file of the repository.
func TestNoPoolUseInsideTransactions(t *testing.T) {
	bad := `package x
func (cs *CampaignStore) f(ctx context.Context) error {
	return cs.s.Transact(ctx, func(tx *Store) error {
		if _, err := tx.Users().GetByID(ctx, 1); err != nil {
			return err
		}
		return cs.s.Repos().Touch(ctx)
	})
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "bad.go", bad, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := poolUsesInTransactions(fset, f); len(got) != 1 || !strings.Contains(got[0], "bad.go:7") {
		t.Fatalf("the check missed a pool use inside a transaction: %v", got)
	}

	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		for _, p := range poolUsesInTransactions(fset, f) {
			t.Error(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("checked only %d files under %s", files, root)
	}
}
