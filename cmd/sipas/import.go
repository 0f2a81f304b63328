package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"sipas/internal/dataset"
	"sipas/internal/store"
	"sipas/internal/survey"
)

const importUsage = `import agencies|populations|responses|aggregates [--db FILE] [--survey ID] FILE.csv

Imports are all-or-nothing: a file with any bad row changes nothing, and every bad row is
reported as FILE:LINE:COLUMN: problem. Importing the same file twice changes nothing.`

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
		return usagef("name what to import (agencies, populations, responses or aggregates) and one CSV file")
	}
	kind, file := fs.Arg(0), fs.Arg(1)
	switch kind {
	case "agencies", "populations", "responses", "aggregates":
	default:
		return usagef("cannot import %q: choose agencies, populations, responses or aggregates", kind)
	}
	cat, err := loadSurveys(*dir)
	if err != nil {
		return err
	}
	q, err := cat.Get(*surveyID)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := openStore(ctx, *db, discardLogger())
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := importFile(ctx, st, q, kind, filepath.Base(file), f)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %s from %s: %s\n", kind, file, res)
	return nil
}

// importFile parses and stores one CSV file of the given kind. Parsing reports every bad
// row; the store then writes all rows in one transaction, or none.
func importFile(ctx context.Context, st *store.Store, q *survey.Questionnaire, kind, name string, f *os.File) (store.ImportResult, error) {
	known, err := st.AgencyCodes(ctx)
	if err != nil {
		return store.ImportResult{}, err
	}
	isKnown := func(code string) bool { return known[code] }
	switch kind {
	case "agencies":
		list, err := dataset.ParseAgencies(name, f, isKnown)
		if err != nil {
			return store.ImportResult{}, err
		}
		return st.ImportAgencies(ctx, list)
	case "populations":
		list, err := dataset.ParsePopulations(name, f, isKnown)
		if err != nil {
			return store.ImportResult{}, err
		}
		return st.ImportPopulations(ctx, list)
	case "aggregates":
		list, err := dataset.ParseAggregates(name, f, q.IsIndex)
		if err != nil {
			return store.ImportResult{}, err
		}
		return st.ImportAggregates(ctx, q.ID, list)
	default:
		list, err := dataset.ParseResponses(name, f, q.Codes(), isKnown)
		if err != nil {
			return store.ImportResult{}, err
		}
		rows := make([]store.ImportedResponse, len(list))
		for i, r := range list {
			rows[i] = store.ImportedResponse{Response: r, Answers: survey.EncodeAnswers(q.Codes(), r.Answers)}
		}
		return st.ImportResponses(ctx, name, q.ID, q.Version, rows)
	}
}
