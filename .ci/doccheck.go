//go:build ignore

// doccheck lists exported identifiers without a doc comment outside tests (STYLE.md §14:
// every exported identifier has one that starts with its name). In a const or var block a
// comment on the block covers its names. It exits 1 when it finds any. Run from the
// repository root:
//
//	go run .ci/doccheck.go [-skip DIR,…] cmd internal assets surveys
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
	skip := flag.String("skip", "", "comma-separated directories not to check")
	flag.Parse()
	skipped := map[string]bool{}
	for _, d := range strings.Split(*skip, ",") {
		if d != "" {
			skipped[filepath.Clean(d)] = true
		}
	}
	fset := token.NewFileSet()
	bad := 0
	report := func(pos token.Pos, what string) {
		fmt.Printf("%s: %s has no doc comment\n", fset.Position(pos), what)
		bad++
	}
	for _, root := range flag.Args() {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && skipped[filepath.Clean(path)] {
				return filepath.SkipDir
			}
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				return err
			}
			if f.Name.Name == "main" {
				return nil // nothing of a command is exported
			}
			for _, decl := range f.Decls {
				check(decl, report)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "doccheck:", err)
			os.Exit(2)
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}

func check(decl ast.Decl, report func(token.Pos, string)) {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() || d.Doc != nil {
			return
		}
		if d.Recv != nil && len(d.Recv.List) > 0 && !exportedType(d.Recv.List[0].Type) {
			return
		}
		report(d.Pos(), d.Name.Name)
	case *ast.GenDecl:
		if d.Tok == token.IMPORT {
			return
		}
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if s.Name.IsExported() && s.Doc == nil && d.Doc == nil {
					report(s.Pos(), "type "+s.Name.Name)
				}
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() && s.Doc == nil && s.Comment == nil && d.Doc == nil {
						report(n.Pos(), n.Name)
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
