//go:build ignore

// funclen lists the functions longer than a limit outside tests (STYLE.md §6: a handler
// longer than about 30 lines has business logic that belongs elsewhere; the house limit for
// any function is 60 lines, from its func line to its closing brace). It exits 1 when it
// finds any. Run from the repository root:
//
//	go run .ci/funclen.go [-max 60] [-skip DIR,…] cmd internal
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
	for _, root := range flag.Args() {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && skipped[filepath.Clean(path)] {
				return filepath.SkipDir
			}
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
				if n := end.Line - start.Line + 1; n > *limit {
					fmt.Printf("%s:%d: %s is %d lines (limit %d)\n", path, start.Line, fn.Name.Name, n, *limit)
					bad++
				}
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "funclen:", err)
			os.Exit(2)
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
