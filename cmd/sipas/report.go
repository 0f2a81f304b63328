package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"slices"
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

// reportUsage is the synopsis of `sipas report`; its formats are report.Formats.
func reportUsage() string {
	return `report --year Y [--baseline Y0] [--baseline-source responses|aggregates] [--agency CODE]
       [--level L] [--channel C] [--small-area LEVEL] [--format ` + strings.ReplaceAll(report.FormatNames(), ", ", "|") + `]
       [--lang CODE] [--locale TAG] [--table indices|agencies|small_area] [-o FILE] [--db FILE]`
}

// reportFlags are the flags of `sipas report`.
type reportFlags struct {
	db, dir, source, agency, level, channel, smallArea, format, lang, locale, table, surveyID, out *string
	year, baseline                                                                                 *int
}

func addReportFlags(fs *flag.FlagSet, e env) *reportFlags {
	return &reportFlags{
		db:        dbFlag(fs),
		dir:       surveysFlag(fs),
		year:      fs.Int("year", 0, "report `year` (Asia/Ho_Chi_Minh calendar); required"),
		baseline:  fs.Int("baseline", 0, "baseline `year` to compare with, e.g. 2023"),
		source:    fs.String("baseline-source", index.SourceResponses, "baseline data: responses (raw) or aggregates (published indices)"),
		agency:    fs.String("agency", "", "only this agency `code`"),
		level:     fs.String("level", "", "only agencies of this `level`: "+strings.Join(dataset.Levels, ", ")),
		channel:   fs.String("channel", "", "only this `channel`: "+strings.Join(dataset.Channels, ", ")),
		smallArea: fs.String("small-area", "", "add model-based (Fay–Herriot) estimates for every agency of this `level`, e.g. commune"),
		format:    fs.String("format", report.Formats[0].Name, "output `format`: "+report.FormatNames()),
		lang:      fs.String("lang", i18n.Default, "`language` of the report's words: "+strings.Join(e.msgs.Codes(), ", ")),
		locale: fs.String("locale", "", "CSV only: write numbers for a spreadsheet set to this language `tag` (e.g. vi-VN: "+
			"decimal comma, fields separated by ;); without it the CSV is the machine format"),
		table:    fs.String("table", report.TableIndices, "CSV only: the `table` to write: "+strings.Join(report.Tables, ", ")),
		surveyID: fs.String("survey", survey.DefaultID, "questionnaire `id`"),
		out:      fs.String("o", "", "write to `file` instead of stdout"),
	}
}

// query checks the flags as a whole and returns the report's query and format.
func (f *reportFlags) query(e env) (report.Query, report.Format, error) {
	qy := report.Query{Year: *f.year, BaselineYear: *f.baseline, BaselineSource: *f.source, Filters: index.Filters{
		Agency: optional(dataset.NormalizeCode(*f.agency)), Level: optional(*f.level), Channel: optional(*f.channel)}, SmallArea: *f.smallArea}
	format, ok := report.FormatByName(*f.format)
	switch {
	case *f.year == 0:
		return qy, format, usagef("--year is required")
	case !ok:
		return qy, format, usagef("--format must be one of %s, not %q", report.FormatNames(), *f.format)
	case !e.msgs.Has(*f.lang):
		return qy, format, usagef("--lang must be one of %s, not %q", strings.Join(e.msgs.Codes(), ", "), *f.lang)
	case !slices.Contains(report.Tables, *f.table):
		return qy, format, usagef("--table must be one of %s, not %q", strings.Join(report.Tables, ", "), *f.table)
	case *f.table == report.TableSmallArea && *f.smallArea == "":
		return qy, format, usagef("--table small_area needs --small-area LEVEL")
	}
	if _, ok := report.SpreadsheetLocale(*f.locale); *f.locale != "" && !ok {
		return qy, format, usagef("--locale must be a language tag of %s, not %q", report.LocaleTags(), *f.locale)
	}
	if err := qy.Validate(); err != nil {
		return qy, format, usageError{e.message(err)}
	}
	return qy, format, nil
}

func cmdReport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "report", reportUsage())
	f := addReportFlags(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	qy, format, err := f.query(e)
	if err != nil {
		return err
	}
	// Read-only: a report never creates, changes or migrates the database (a mistyped --db
	// is an error, not a report of nothing).
	st, q, err := openWithSurvey(ctx, *f.db, store.ReadOnly, *f.dir, *f.surveyID)
	if err != nil {
		return err
	}
	defer st.Close()
	csvOpts := report.CSVOptions{Table: *f.table}
	csvOpts.Locale, _ = report.SpreadsheetLocale(*f.locale)
	var buf bytes.Buffer
	if err := writeReport(ctx, e, st, q, qy, format, *f.lang, csvOpts, &buf); err != nil {
		return err
	}
	if *f.out == "" {
		_, err = e.stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(*f.out, buf.Bytes(), 0o644)
}

// writeReport computes the report of qy and writes it in format, worded by report.NewMeta as
// on the web. JSON is indented for people at a terminal; the bytes are otherwise the API's.
func writeReport(ctx context.Context, e env, st *store.Store, q *survey.Questionnaire, qy report.Query, format report.Format, lang string, csv report.CSVOptions, buf *bytes.Buffer) error {
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
	m, err := reportMeta(ctx, e, st, q, qy, lang)
	if err != nil {
		return err
	}
	m.CSV = csv
	var raw bytes.Buffer
	if err := format.Write(&raw, rep, m); err != nil {
		return err
	}
	if format.Name == "json" {
		if err := json.Indent(buf, raw.Bytes(), "", "  "); err != nil {
			return err
		}
		return nil
	}
	_, err = buf.Write(raw.Bytes())
	return err
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
	m := report.NewMeta(e.msgs.Locale(lang), q, qy, names, fonts)
	return m, m.LoadReceipts(ctx, st, qy)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
