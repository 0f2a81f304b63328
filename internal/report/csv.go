package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"sipas/internal/i18n"
	"sipas/internal/index"
)

// bom is the UTF-8 byte order mark. Excel needs it to read a CSV file as
// UTF-8 rather than the ANSI code page, which would garble every Vietnamese
// letter; the importers of CONTRACT.md accept it.
const bom = "\uFEFF"

// CSVOptions choose between the machine CSV of CONTRACT.md (the zero value) and a CSV for
// a spreadsheet program set to one language's number conventions, and which table it holds.
type CSVOptions struct {
	// Locale, when set, writes numbers the way a spreadsheet set to that language reads them:
	// its decimal separator, no digit grouping, and ";" between fields where the decimal
	// separator is a comma (as Excel and LibreOffice expect then). Codes and column names
	// stay those of the machine format, so it is the same table. nil: the machine format.
	Locale *i18n.Language
	// Table is the table written: TableIndices (also ""), TableAgencies or TableSmallArea.
	Table string
}

// The tables a report CSV can hold (the API's table=, the CLI's --table).
const (
	TableIndices   = "indices"    // every index on both bases (CONTRACT.md)
	TableAgencies  = "agencies"   // the agency rows (overall index per agency)
	TableSmallArea = "small_area" // the small-area block (METHODS §14)
)

// Tables lists the CSV tables, the default first.
var Tables = []string{TableIndices, TableAgencies, TableSmallArea}

// SpreadsheetLocale returns the language whose spreadsheet conventions the tag (a Tag or
// Code of i18n.Languages, any case: "vi-VN", "vi", "en") names.
func SpreadsheetLocale(tag string) (*i18n.Language, bool) {
	for i := range i18n.Languages {
		l := &i18n.Languages[i]
		if strings.EqualFold(tag, l.Tag) || strings.EqualFold(tag, l.Code) {
			return l, true
		}
	}
	return nil, false
}

// LocaleTags lists the tags SpreadsheetLocale knows, for messages and help: "vi-VN, en".
func LocaleTags() string {
	tags := make([]string, len(i18n.Languages))
	for i, l := range i18n.Languages {
		tags[i] = l.Tag
	}
	return strings.Join(tags, ", ")
}

// CSVColumns are the columns of the indices table, in order. They are part of the public
// interface: scripts select them by name, so they only ever grow.
var CSVColumns = []string{
	"index", "kind", "aspect", "basis",
	"estimate_pct", "ci_low_pct", "ci_high_pct", "se_pct",
	"n", "n_eff", "deff",
	"change_pct", "change_ci_low_pct", "change_ci_high_pct", "p_value", "verdict",
	"baseline_estimate_pct", "baseline_n",
	"p_holm", "verdict_holm", "baseline_var_rule", "indicative",
}

// WriteCSV writes a table of rep as CSV (m.CSV.Table; the indices by default). The indices
// table is CONTRACT.md's "one row per index and basis, with percentages": UTF-8 with a BOM, a
// header row of CSVColumns, then for every index in report order a row for the stratified
// basis (the headline) and one for the unweighted basis.
//
// By default it is a machine format whatever the report's language: a decimal point,
// percentages (83.02 for 0.8302) rounded to 4 decimals, p-values to 4 significant digits,
// and an empty field for an undefined quantity (null in the JSON). m.CSV.Locale writes the
// same table for a spreadsheet program instead. The change columns are empty without a
// baseline; with one, a basis that has no comparison gets the verdict insufficient_data.
// p_holm and verdict_holm are the Holm adjustment of the questions (METHODS §12), empty for
// aspects and the overall index, whose verdict is the interval's. A basis that does not exist
// (stratified without receipts) still gets its row, with only its labels, so that every
// report has the same rows.
func WriteCSV(w io.Writer, rep *index.Report, m Meta) error {
	var err error
	switch m.CSV.Table {
	case "", TableIndices:
		err = writeTable(w, m.CSV, CSVColumns, indexRecords(rep))
	case TableAgencies:
		err = writeTable(w, m.CSV, AgencyCSVColumns, agencyRecords(rep, m))
	case TableSmallArea:
		err = writeTable(w, m.CSV, SmallAreaCSVColumns, smallAreaRecords(rep, m))
	default:
		err = fmt.Errorf("unknown table %q", m.CSV.Table)
	}
	if err != nil {
		return fmt.Errorf("report: write csv: %w", err)
	}
	return nil
}

// A field is one value of a CSV record: text (through SafeCell) or a number, which the
// table's conventions write.
type field struct {
	text string
	num  *float64
	conv func(float64) string // machine form of num; nil for text
}

func text(s string) field { return field{text: SafeCell(s)} }
func code(s string) field { return field{text: s} } // a fixed code of ours: no escape needed
func pctF(f *float64) field {
	return field{num: f, conv: func(v float64) string { return roundField(v*100, 4) }}
}
func decF(f *float64, decimals int) field {
	return field{num: f, conv: func(v float64) string { return roundField(v, decimals) }}
}
func pF(f *float64) field {
	return field{num: f, conv: func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }}
}
func intF(n int) field { v := float64(n); return decF(&v, 0) }

// writeTable writes the BOM, the header and the records in the conventions of o.
func writeTable(w io.Writer, o CSVOptions, header []string, records [][]field) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	dec := "."
	if o.Locale != nil && o.Locale.Decimal != "." {
		dec, cw.Comma = o.Locale.Decimal, ';'
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	for _, rec := range records {
		for i, f := range rec {
			switch {
			case f.conv == nil:
				row[i] = f.text
			case f.num == nil:
				row[i] = ""
			default:
				row[i] = strings.Replace(f.conv(*f.num), ".", dec, 1)
			}
		}
		if err := cw.Write(row[:len(rec)]); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// indexRecords are the rows of the indices table.
func indexRecords(rep *index.Report) [][]field {
	var out [][]field
	for i := range rep.Indices {
		idx := &rep.Indices[i]
		for _, strat := range []bool{true, false} {
			est, ch, basis := idx.Unweighted, (*index.Change)(nil), index.BasisUnweighted
			if strat {
				est, basis = idx.Stratified, index.BasisStratified
			}
			if idx.Change != nil {
				ch = idx.Change.Unweighted
				if strat {
					ch = idx.Change.Stratified
				}
			}
			row := []field{text(idx.ID), code(string(idx.Kind)), text(idx.Aspect), code(basis)}
			if est != nil {
				row = append(row, pctF(est.Value), pctF(est.CILow), pctF(est.CIHigh), pctF(est.SE), intF(est.N))
				if de := est.DesignEffect; de != nil {
					row = append(row, decF(de.NEff, 2), decF(de.Deff, 4))
				} else {
					row = append(row, code(""), code(""))
				}
			} else {
				row = append(row, code(""), code(""), code(""), code(""), code(""), code(""), code(""))
			}
			row = append(row, changeFields(ch, rep.Baseline != nil)...)
			row = append(row, adjustmentFields(ch)...)
			out = append(out, append(row, flagField(est)))
		}
	}
	return out
}

// flagField is the precision flag of a stratified estimate: true or false, empty elsewhere.
func flagField(est *index.Estimate) field {
	if est == nil || est.Indicative == nil {
		return code("")
	}
	return code(strconv.FormatBool(*est.Indicative))
}

// adjustmentFields are p_holm, verdict_holm and baseline_var_rule of ch.
func adjustmentFields(ch *index.Change) []field {
	if ch == nil {
		return []field{code(""), code(""), code("")}
	}
	rule := ""
	if ch.BaselineVarRule != nil {
		rule = *ch.BaselineVarRule
	}
	if ch.Adjustment == nil {
		return []field{code(""), code(""), code(rule)}
	}
	return []field{pF(ch.PHolm), code(string(ch.VerdictHolm)), code(rule)}
}

// AgencyCSVColumns are the columns of the agencies table, in order: each agency's overall
// index on the stratified basis with its rank range, response rate and change from its
// predecessors with the Holm adjustment over all agencies (METHODS §11–12).
var AgencyCSVColumns = []string{
	"agency", "agency_name", "basis", "n",
	"estimate_pct", "ci_low_pct", "ci_high_pct", "se_pct", "rank_low", "rank_high", "indicative", "response_rate_pct",
	"change_pct", "change_ci_low_pct", "change_ci_high_pct", "p_value", "verdict",
	"baseline_estimate_pct", "baseline_n", "p_holm", "verdict_holm", "predecessors",
}

// agencyRecords are the rows of the agencies table, in report order (by code), on the
// stratified basis, or the unweighted one for a row without it. predecessors lists the
// baseline units as CODE:SHARE separated by spaces.
func agencyRecords(rep *index.Report, m Meta) [][]field {
	var out [][]field
	for i := range rep.Agencies {
		a := &rep.Agencies[i]
		l := m.AgencyLine(rep, a)
		basis := index.BasisStratified
		if !l.Stratified {
			basis = index.BasisUnweighted
		}
		row := []field{text(a.Agency), text(m.agencyName(a.Agency)), code(basis), intF(l.N),
			pctF(l.Estimate), pctF(l.Low), pctF(l.High), pctF(l.SE), intP(l.RankLow), intP(l.RankHigh),
			code(strconv.FormatBool(l.Indicative)), pctF(l.Rate)}
		row = append(row, changeFields(l.Change, rep.Baseline != nil)...)
		switch {
		case l.Adjusted:
			row = append(row, pF(l.PAdj), code(string(l.Verdict)))
		case rep.Baseline != nil:
			row = append(row, code(""), code(string(index.InsufficientData)))
		default:
			row = append(row, code(""), code(""))
		}
		preds := make([]string, len(a.Predecessors))
		for j, p := range a.Predecessors {
			preds[j] = p.Agency + ":" + strconv.FormatFloat(p.Share, 'g', -1, 64)
		}
		out = append(out, append(row, text(strings.Join(preds, " "))))
	}
	return out
}

func intP(n *int) field {
	if n == nil {
		return decF(nil, 0)
	}
	return intF(*n)
}

// changeFields returns change_pct … baseline_n for ch. withBaseline says
// whether the report has a baseline at all, which decides between an empty
// verdict (nothing was compared) and insufficient_data (a comparison was
// asked for but cannot be made).
func changeFields(ch *index.Change, withBaseline bool) []field {
	if ch == nil {
		v := ""
		if withBaseline {
			v = string(index.InsufficientData)
		}
		return []field{code(""), code(""), code(""), code(""), code(v), code(""), code("")}
	}
	return []field{
		pctF(ch.Diff), pctF(ch.CILow), pctF(ch.CIHigh), pF(ch.PValue),
		code(string(ch.Verdict)), pctF(ch.BaselineEstimate), decF(ch.BaselineN, 2),
	}
}

// pctField writes a fraction as a percentage rounded to 4 decimals (1e-6 as
// a fraction, well inside every reported precision). Rounding first keeps
// 0.8302 from coming out as 83.02000000000001, which looks like a bug to
// an official opening the file.
func pctField(f *float64) string {
	if f == nil {
		return ""
	}
	return roundField(*f*100, 4)
}

// decField writes f rounded to the given decimals, shortest form (2.5, 12).
func decField(f *float64, decimals int) string {
	if f == nil {
		return ""
	}
	return roundField(*f, decimals)
}

func roundField(f float64, decimals int) string {
	scale := math.Pow10(decimals)
	r := math.Round(f*scale) / scale
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// pField writes a p-value to 4 significant digits: p-values reach 1e-12 and
// below, where fixed decimals would print 0.
func pField(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'g', 4, 64)
}
