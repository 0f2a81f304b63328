package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"sipas/internal/index"
)

// bom is the UTF-8 byte order mark. Excel needs it to read a CSV file as
// UTF-8 rather than the ANSI code page, which would garble every Vietnamese
// letter; the importers of CONTRACT.md accept it.
const bom = "\uFEFF"

// CSVColumns are the columns of WriteCSV, in order. They are part of the
// public interface: scripts select them by name, so they only ever grow.
var CSVColumns = []string{
	"index", "kind", "aspect", "basis",
	"estimate_pct", "ci_low_pct", "ci_high_pct", "se_pct",
	"n", "n_eff", "deff",
	"change_pct", "change_ci_low_pct", "change_ci_high_pct", "p_value", "verdict",
	"baseline_estimate_pct", "baseline_n",
}

// WriteCSV writes the indices of rep as CSV (CONTRACT.md: "one row per index
// and basis, with percentages"): UTF-8 with a BOM, a header row of
// CSVColumns, then for every index in report order a row for the stratified
// basis (the headline) and one for the unweighted basis.
//
// It is a machine format, whatever m.Lang: a decimal point, percentages
// (83.02 for 0.8302) rounded to 4 decimals, p-values to 4 significant digits,
// and an empty field for an undefined quantity (null in the JSON). The
// change columns are empty without a baseline; with one, a basis that has no
// comparison gets the verdict insufficient_data. A basis that does not exist
// (stratified without receipts) still gets its row, with only its labels,
// so that every report has the same rows. m is not used today: the CSV
// carries no wording.
func WriteCSV(w io.Writer, rep *index.Report, m Meta) error {
	cw, err := newCSV(w, CSVColumns)
	if err != nil {
		return fmt.Errorf("report: write csv: %w", err)
	}
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
			row := make([]string, 0, len(CSVColumns))
			row = append(row, SafeCell(idx.ID), string(idx.Kind), SafeCell(idx.Aspect), basis)
			if est != nil {
				row = append(row, pctField(est.Value), pctField(est.CILow), pctField(est.CIHigh),
					pctField(est.SE), strconv.Itoa(est.N))
				if de := est.DesignEffect; de != nil {
					row = append(row, decField(de.NEff, 2), decField(de.Deff, 4))
				} else {
					row = append(row, "", "")
				}
			} else {
				row = append(row, "", "", "", "", "", "", "")
			}
			row = append(row, changeFields(ch, rep.Baseline != nil)...)
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("report: write csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write csv: %w", err)
	}
	return nil
}

// AgencyCSVColumns are the columns of WriteAgenciesCSV, in order.
var AgencyCSVColumns = []string{
	"agency", "agency_name", "n",
	"estimate_pct", "ci_low_pct", "ci_high_pct", "indicative",
	"change_pct", "change_ci_low_pct", "change_ci_high_pct", "p_value", "verdict",
	"baseline_estimate_pct", "baseline_n", "p_holm", "verdict_holm",
}

// WriteAgenciesCSV writes the agency rows of rep (each agency's overall
// index, unweighted, with its change) as CSV in the conventions of WriteCSV,
// in report order (by code), with the agency's name from m.AgencyNames.
// indicative is true or false; p_holm and verdict_holm carry the Holm
// adjustment that the league table's verdict uses (METHODS §8).
func WriteAgenciesCSV(w io.Writer, rep *index.Report, m Meta) error {
	cw, err := newCSV(w, AgencyCSVColumns)
	if err != nil {
		return fmt.Errorf("report: write agencies csv: %w", err)
	}
	for _, a := range rep.Agencies {
		row := []string{
			SafeCell(a.Agency), SafeCell(m.agencyName(a.Agency)), strconv.Itoa(a.N),
			pctField(a.Estimate), pctField(a.CILow), pctField(a.CIHigh), strconv.FormatBool(a.Indicative),
		}
		var ch *index.Change
		if a.Change != nil {
			ch = &a.Change.Change
		}
		row = append(row, changeFields(ch, rep.Baseline != nil)...)
		switch {
		case a.Change != nil:
			row = append(row, pField(a.Change.PHolm), string(a.Change.VerdictHolm))
		case rep.Baseline != nil:
			// An aggregate baseline has no agency figures to compare with.
			row = append(row, "", string(index.InsufficientData))
		default:
			row = append(row, "", "")
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("report: write agencies csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write agencies csv: %w", err)
	}
	return nil
}

// newCSV writes the BOM and the header row.
func newCSV(w io.Writer, header []string) (*csv.Writer, error) {
	if _, err := io.WriteString(w, bom); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return nil, err
	}
	return cw, nil
}

// changeFields returns change_pct … baseline_n for ch. withBaseline says
// whether the report has a baseline at all, which decides between an empty
// verdict (nothing was compared) and insufficient_data (a comparison was
// asked for but cannot be made).
func changeFields(ch *index.Change, withBaseline bool) []string {
	if ch == nil {
		v := ""
		if withBaseline {
			v = string(index.InsufficientData)
		}
		return []string{"", "", "", "", v, "", ""}
	}
	return []string{
		pctField(ch.Diff), pctField(ch.CILow), pctField(ch.CIHigh), pField(ch.PValue),
		string(ch.Verdict), pctField(ch.BaselineEstimate), decField(ch.BaselineN, 2),
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
