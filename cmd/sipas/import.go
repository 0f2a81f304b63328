package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sipas/internal/store"
	"sipas/internal/survey"
)

const importUsage = `import agencies|populations|responses|aggregates|crosswalk [--db FILE] [--survey ID] FILE.csv

Imports are all-or-nothing: a file with any bad row changes nothing, and every bad row is
reported as FILE:LINE:COLUMN: problem. Importing the same file twice changes nothing. A
crosswalk (from_code,to_code,share,since: which of today's units took over each former
unit) replaces the previous one.`

func cmdImport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "import", importUsage)
	db := dbFlag(fs)
	surveyID := fs.String("survey", survey.DefaultID, "questionnaire `id` the responses or aggregates belong to")
	dir := surveysFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return usagef("name what to import (%s) and one CSV file", strings.Join(store.ImportKinds, ", "))
	}
	kind, file := fs.Arg(0), fs.Arg(1)
	if !slices.Contains(store.ImportKinds, kind) {
		return usagef("cannot import %q: choose %s", kind, strings.Join(store.ImportKinds, ", "))
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("sipas import: %w", err)
	}
	defer f.Close()
	st, q, err := openWithSurvey(ctx, *db, store.ReadWrite, *dir, *surveyID)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.ImportFile(ctx, q, kind, filepath.Base(file), f)
	if err != nil {
		return err
	}
	if err := st.Audit(ctx, "cli", "import."+kind, fmt.Sprintf("%s: %s", filepath.Base(file), res)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %s from %s: %s\n", kind, file, res)
	return nil
}
