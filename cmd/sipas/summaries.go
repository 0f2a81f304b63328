package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

const summariesUsage = `summaries export|import [--db FILE] [--surveys DIR] FILE.json

export writes this database's summaries (the counts the reports read, per survey, year,
agency, channel and month), its agencies, the stratum sizes its reports use and its
crosswalk to FILE.json: no response, no comment, no receipt. import merges such a file of
another database (a province) into this one (the nation): the agencies are upserted, the
summaries the same source sent before are replaced, and sipas report here then gives exactly
the report of one database holding every imported province's responses. An agency whose
responses are stored here, or whose summaries came from another source, is refused, as are
summaries of another questionnaire design; a refused file changes nothing.`

func cmdSummaries(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "summaries", summariesUsage)
	db := dbFlag(fs)
	dir := surveysFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 || !slices.Contains([]string{"export", "import"}, fs.Arg(0)) {
		fs.Usage()
		return usagef("say export or import, and one FILE.json")
	}
	file := fs.Arg(1)
	st, qs, err := openWithSurveys(ctx, *db, *dir, "")
	if err != nil {
		return err
	}
	defer st.Close()
	if fs.Arg(0) == "import" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("sipas summaries: %w", err)
		}
		defer f.Close()
		m, err := st.ImportSummaries(ctx, filepath.Base(file), f, "cli")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "imported summaries %s\n", m)
		return nil
	}
	// Summaries never counted yet (a database from before they existed) are counted first.
	if err := st.EnsureSummaries(ctx, qs...); err != nil {
		return err
	}
	return writeAtomically(file, func(f *os.File) error {
		sf, err := st.ExportSummaries(ctx, f)
		if err == nil {
			rows := 0
			for _, sv := range sf.Surveys {
				rows += len(sv.Summaries)
			}
			fmt.Fprintf(e.stdout, "exported %d summary rows of %d surveys, %d agencies, %d stratum sizes and %d crosswalk rows of %s to %s\n",
				rows, len(sf.Surveys), len(sf.Agencies), len(sf.Populations), len(sf.Crosswalk), sf.Source, file)
		}
		return err
	})
}

// writeAtomically writes a file through a temporary one beside it, synced and renamed, so that
// FILE is either the old one or the whole new one.
func writeAtomically(file string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sipas: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sipas: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sipas: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("sipas: %w", err)
	}
	return nil
}
