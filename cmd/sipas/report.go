package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"sipas/assets"
	"sipas/internal/dataset"
	"sipas/internal/fault"
	"sipas/internal/i18n"
	"sipas/internal/index"
	"sipas/internal/report"
	"sipas/internal/store"
	"sipas/internal/survey"
)

const reportUsage = `report --year Y [--baseline Y0] [--baseline-source responses|aggregates] [--agency CODE]
       [--level L] [--channel C] [--format json|csv|xlsx|pdf] [--lang CODE] [-o FILE] [--db FILE]`

func cmdReport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "report", reportUsage)
	db := dbFlag(fs)
	dir := surveysFlag(fs)
	year := fs.Int("year", 0, "report `year` (Asia/Ho_Chi_Minh calendar); required")
	baseline := fs.Int("baseline", 0, "baseline `year` to compare with, e.g. 2023")
	source := fs.String("baseline-source", index.SourceResponses, "baseline data: responses (raw) or aggregates (published indices)")
	agency := fs.String("agency", "", "only this agency `code`")
	level := fs.String("level", "", "only agencies of this `level`: "+strings.Join(dataset.Levels, ", "))
	channel := fs.String("channel", "", "only this `channel`: "+strings.Join(dataset.Channels, ", "))
	format := fs.String("format", "json", "output `format`: json, csv, xlsx or pdf")
	lang := fs.String("lang", i18n.Default, "language of xlsx and pdf: "+strings.Join(e.msgs.Codes(), ", "))
	surveyID := fs.String("survey", survey.DefaultID, "questionnaire `id`")
	out := fs.String("o", "", "write to `file` instead of stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *year == 0 {
		return usagef("--year is required")
	}
	switch *format {
	case "json", "csv", "xlsx", "pdf":
	default:
		return usagef("--format must be json, csv, xlsx or pdf, not %q", *format)
	}
	if !e.msgs.Has(*lang) {
		return usagef("--lang must be one of %s, not %q", strings.Join(e.msgs.Codes(), ", "), *lang)
	}
	qy := report.Query{Year: *year, BaselineYear: *baseline, BaselineSource: *source, Filters: index.Filters{
		Agency: optional(*agency), Level: optional(*level), Channel: optional(*channel)}}
	if err := qy.Validate(); err != nil {
		return usageError{e.message(err)}
	}
	if _, err := os.Stat(*db); errors.Is(err, os.ErrNotExist) {
		// The contract creates a database on first use; say so, or a mistyped --db reads as a
		// report of nothing.
		fmt.Fprintf(e.stderr, "sipas report: note: %s did not exist; reporting on a new, empty database\n", *db)
	}
	st, q, err := openWithSurvey(ctx, *db, *dir, *surveyID)
	if err != nil {
		return err
	}
	defer st.Close()
	if qy.Filters.Agency != nil {
		if _, err := st.FindAgencyByCode(ctx, *qy.Filters.Agency); errors.Is(err, store.ErrNotFound) {
			return fault.New(fault.Invalid, "unknown_agency", *qy.Filters.Agency)
		} else if err != nil {
			return err
		}
	}
	rep, err := report.Build(ctx, st, q, qy)
	if err != nil {
		return err
	}
	m, err := reportMeta(ctx, e, st, q, qy, *lang)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := writeReport(&buf, *format, rep, m); err != nil {
		return err
	}
	if *out == "" {
		_, err = e.stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}

func writeReport(w io.Writer, format string, rep *index.Report, m report.Meta) error {
	switch format {
	case "csv":
		return report.WriteCSV(w, rep, m)
	case "xlsx":
		return report.WriteXLSX(w, rep, m)
	case "pdf":
		return report.WritePDF(w, rep, m, m.Fonts)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// reportMeta is the wording of the report, from report.NewMeta as on the web: the scope of
// every filter, agency names, the language's catalogue.
func reportMeta(ctx context.Context, e env, st *store.Store, q *survey.Questionnaire, qy report.Query, lang string) (report.Meta, error) {
	agencies, err := st.ListAgencies(ctx)
	if err != nil {
		return report.Meta{}, err
	}
	names := map[string]string{}
	for _, a := range agencies {
		names[a.Code] = a.Name
	}
	fonts, err := fs.Sub(assets.FS, "fonts")
	if err != nil {
		return report.Meta{}, err
	}
	return report.NewMeta(e.msgs.Locale(lang), q, qy, names, fonts), nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
