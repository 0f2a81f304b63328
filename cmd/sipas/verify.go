package main

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"sipas/internal/store"
	"sipas/internal/survey"
)

const verifyUsage = `verify [--db FILE] [--survey ID] [--repair] [--surveys DIR]

Recounts the summaries the reports read (per survey, year, agency, channel and month) from the
stored responses, on one snapshot while the service runs, and compares them key by key. Prints
what differs; exit status 1 when anything does. With --repair the summaries are counted again
from the responses and replaced (a short write at the end; submissions go on), then checked
again. Run it after restoring a backup. Summaries imported from other databases (sipas
summaries import) are not checked: their responses are elsewhere.`

func cmdVerify(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "verify", verifyUsage)
	db := dbFlag(fs)
	dir := surveysFlag(fs)
	only := fs.String("survey", "", "check only this questionnaire `id` (default: every one)")
	repair := fs.Bool("repair", false, "count the summaries again from the responses where they differ")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	st, qs, err := openWithSurveys(ctx, *db, *dir, *only)
	if err != nil {
		return err
	}
	defer st.Close()
	bad := 0
	for _, q := range qs {
		chk, err := st.VerifySummaries(ctx, q)
		if err == nil && *repair && len(chk.Problems) > 0 {
			printCheck(e, chk, "before repair")
			chk, err = st.RepairSummaries(ctx, q)
		}
		if err != nil {
			return err
		}
		printCheck(e, chk, "")
		if len(chk.Problems) > 0 {
			bad++
		}
	}
	if problems, err := checkReceipts(ctx, e, st, *repair); err != nil {
		return err
	} else if problems > 0 {
		bad++
	}
	if bad > 0 {
		return fmt.Errorf("sipas verify: %d of the kept counts (summaries of questionnaires, receipt counts) differ from the rows; run sipas verify --repair", bad)
	}
	return nil
}

// checkReceipts checks (and with repair fixes) the kept receipt counts; it returns how many
// differences remain.
func checkReceipts(ctx context.Context, e env, st *store.Store, repair bool) (int, error) {
	problems, err := st.VerifyReceiptCounts(ctx)
	if err == nil && repair && len(problems) > 0 {
		fmt.Fprintf(e.stdout, "receipt counts: %d differences before repair\n", len(problems))
		if err = st.RepairReceiptCounts(ctx); err == nil {
			problems, err = st.VerifyReceiptCounts(ctx)
		}
	}
	if err != nil {
		return 0, err
	}
	if len(problems) == 0 {
		fmt.Fprintln(e.stdout, "receipt counts: exact")
	}
	for _, p := range problems {
		fmt.Fprintf(e.stdout, "  %s\n", p)
	}
	return len(problems), nil
}

// printCheck prints one questionnaire's check: a line, and one per problem.
func printCheck(e env, chk store.SummaryCheck, when string) {
	state := "exact"
	if len(chk.Problems) > 0 {
		state = fmt.Sprintf("%d differences", len(chk.Problems))
	}
	if when != "" {
		state += " " + when
	}
	fmt.Fprintf(e.stdout, "%s: %d responses, %d summary rows: %s\n", chk.Survey, chk.Responses, chk.Keys, state)
	for _, p := range chk.Problems {
		fmt.Fprintf(e.stdout, "  %s\n", p)
	}
}

// openWithSurveys opens the database with every questionnaire in use (the embedded or --surveys
// ones with this database's uploads over them), or only the one named.
func openWithSurveys(ctx context.Context, db, dir, only string) (*store.Store, []*survey.Questionnaire, error) {
	st, cat, err := openCatalog(ctx, db, store.ReadWrite, dir) // summaries of another design are counted again
	if err != nil {
		return nil, nil, err
	}
	var qs []*survey.Questionnaire
	for _, id := range slices.Sorted(maps.Keys(cat)) {
		if only == "" || only == id {
			qs = append(qs, cat[id])
		}
	}
	if len(qs) == 0 {
		st.Close()
		return nil, nil, usagef("there is no questionnaire %q", only)
	}
	return st, qs, nil
}
