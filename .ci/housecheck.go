//go:build ignore

// housecheck checks two rules of the house style that no linter here checks, outside tests:
// no function longer than -max lines, from its func line to its closing brace (STYLE.md §6:
// a handler past about 30 lines holds business logic that belongs elsewhere), and a doc
// comment on every exported identifier (STYLE.md §14; in a const or var block a comment on
// the block covers its names; commands export nothing). It prints one line per problem and
// exits 1 when it finds any. Run from the repository root:
//
//	go run .ci/housecheck.go [-max 60] [-long-ok DIR,…] cmd internal assets surveys
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	limit := flag.Int("max", 60, "longest function allowed, in lines")
	longOK := flag.String("long-ok", "", "comma-separated directories whose function lengths are not checked")
	flag.Parse()
	exempt := map[string]bool{}
	for _, d := range strings.Split(*longOK, ",") {
		if d != "" {
			exempt[filepath.Clean(d)] = true
		}
	}
	c := &checker{fset: token.NewFileSet(), limit: *limit}
	for _, root := range flag.Args() {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			return c.file(path, !exempt[filepath.Dir(path)])
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "housecheck:", err)
			os.Exit(2)
		}
	}
	if c.bad > 0 {
		os.Exit(1)
	}
}

type checker struct {
	fset  *token.FileSet
	limit int
	bad   int
}

func (c *checker) report(pos token.Pos, format string, args ...any) {
	fmt.Printf("%s: %s\n", c.fset.Position(pos), fmt.Sprintf(format, args...))
	c.bad++
}

// file checks one source file: its functions' lengths when length is set, and its docs.
func (c *checker) file(path string, length bool) error {
	f, err := parser.ParseFile(c.fset, path, nil, parser.ParseComments)
	if err != nil {
		return err
	}
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && length && fn.Body != nil {
			start, end := c.fset.Position(fn.Pos()), c.fset.Position(fn.End())
			if n := end.Line - start.Line + 1; n > c.limit {
				c.report(fn.Pos(), "%s is %d lines (limit %d)", fn.Name.Name, n, c.limit)
			}
		}
		if f.Name.Name != "main" {
			c.docs(decl)
		}
	}
	return nil
}

// docs reports the exported identifiers of decl that have no doc comment.
func (c *checker) docs(decl ast.Decl) {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if d.Name.IsExported() && d.Doc == nil && (d.Recv == nil || exportedType(d.Recv.List[0].Type)) {
			c.report(d.Pos(), "%s has no doc comment", d.Name.Name)
		}
	case *ast.GenDecl:
		if d.Tok == token.IMPORT || d.Doc != nil {
			return
		}
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if s.Name.IsExported() && s.Doc == nil {
					c.report(s.Pos(), "type %s has no doc comment", s.Name.Name)
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() && s.Doc == nil && s.Comment == nil {
						c.report(n.Pos(), "%s has no doc comment", n.Name)
					}
				}
			}
		}
	}
}

func exportedType(t ast.Expr) bool {
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if g, ok := t.(*ast.IndexExpr); ok {
		t = g.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}
