package dataset

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Transfer is one row of crosswalk.csv: from the date Since, the share Share
// of the receipts of the former unit From is handled by its successor To
// (METHODS §11).
type Transfer struct {
	From, To string
	Share    float64   // in (0, 1]
	Since    time.Time // the date, at midnight UTC
	Line     int       // line of the row in the file
}

var crosswalkColumns = []column{
	{"from_code", true}, {"to_code", true}, {"share", true}, {"since", true},
}

// shareTolerance is how far the shares of one former unit may sum from 1
// (CONTRACT.md: within 1e-9), which absorbs decimals such as 0.55 + 0.45.
const shareTolerance = 1e-9

// ParseCrosswalk reads crosswalk.csv (from_code,to_code,share,since). Both
// codes must be agencies for which known returns true (a nil known knows
// none), a unit may not map to itself, a (from_code, to_code) pair appears
// once, the shares of one from_code sum to 1 and its rows share one date,
// and the transfers may not lead from a unit back to itself. It returns
// every row, or no rows and an Errors listing every problem, each at the
// line and column of a field at fault.
func ParseCrosswalk(file string, r io.Reader, known func(code string) bool) ([]Transfer, error) {
	c := &collector{file: file}
	var out []Transfer
	dups := newDuplicates("from_code and to_code")
	t, err := readTable(file, r, crosswalkColumns, "from_code, to_code, share, since", c, func(rw *row) {
		tr := Transfer{Line: rw.line}
		from, okFrom := rw.knownCode("from_code", known)
		to, okTo := rw.knownCode("to_code", known)
		tr.From, tr.To = from, to
		if okFrom && okTo {
			if from == to {
				rw.errf(rw.col("to_code"), "to_code %s is the from_code itself; a unit that continues needs no row", quote(to))
			} else {
				dups.see(rw, rw.col("to_code"), from+"\x00"+to, quote(from)+" → "+quote(to))
			}
		}
		if s, i, ok := rw.required("share"); ok {
			v, _, isNum := decimal(s)
			switch {
			case !isNum:
				rw.errf(i, "share %s is not a number%s", quote(s), numberHint(s, false))
			case v <= 0 || v > 1:
				rw.errf(i, "share %s is outside (0, 1]: write the part of the receipts as a fraction (0.45, not 45)", s)
			default:
				tr.Share = v
			}
		}
		if s, i, ok := rw.required("since"); ok {
			d, err := time.Parse(time.DateOnly, s)
			switch {
			case err != nil && isDateShape(s):
				rw.errf(i, "since %s is not a real date", quote(s))
			case err != nil:
				rw.errf(i, "since %s is not a date (YYYY-MM-DD, e.g. 2025-07-01)", quote(s))
			case d.Year() < minYear || d.Year() > maxYear:
				rw.errf(i, "since %s is outside %d–%d", s, minYear, maxYear)
			default:
				tr.Since = d
			}
		}
		out = append(out, tr)
	})
	if err != nil {
		return nil, err
	}
	dups.report(c)
	if t != nil {
		checkShares(c, out, t.index["share"]+1, t.index["since"]+1)
		reportCycles(c, out, t.index["to_code"]+1)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// checkShares reports every former unit whose shares do not sum to 1, at
// the share of each of its rows, and one whose rows name different dates.
// Rows already found bad (share or date 0) are left out of the sums.
func checkShares(c *collector, out []Transfer, shareCol, sinceCol int) {
	rows := map[string][]int{}
	var froms []string
	for i, tr := range out {
		if tr.From == "" {
			continue
		}
		if _, seen := rows[tr.From]; !seen {
			froms = append(froms, tr.From)
		}
		rows[tr.From] = append(rows[tr.From], i)
	}
	for _, from := range froms {
		idx := rows[from]
		sum, complete := 0.0, true
		var lines []string
		for _, i := range idx {
			sum += out[i].Share
			complete = complete && out[i].Share > 0
			lines = append(lines, fmt.Sprint(out[i].Line))
		}
		if complete && math.Abs(sum-1) > shareTolerance {
			for _, i := range idx {
				c.addf(out[i].Line, shareCol, "the shares of from_code %s sum to %s (lines %s); they must sum to 1",
					quote(from), trimFloat(sum), strings.Join(lines, ", "))
			}
		}
		first := out[idx[0]]
		for _, i := range idx[1:] {
			if !first.Since.IsZero() && !out[i].Since.IsZero() && !out[i].Since.Equal(first.Since) {
				c.addf(out[i].Line, sinceCol, "since %s differs from line %d (%s): the rows of one from_code take effect on one date",
					out[i].Since.Format(time.DateOnly), first.Line, first.Since.Format(time.DateOnly))
			}
		}
	}
}

// trimFloat writes a sum of shares without float noise: 0.9 rather than
// 0.8999999999999999.
func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.9f", v), "0"), ".")
}

// reportCycles reports every row on a loop of transfers (A → B → A, where
// each step is a row): the units would take each other's receipts forever.
func reportCycles(c *collector, out []Transfer, col int) {
	next := map[string][]int{} // from → rows
	for i, tr := range out {
		if tr.From != "" && tr.To != "" && tr.From != tr.To {
			next[tr.From] = append(next[tr.From], i)
		}
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	onCycle := map[int]string{} // row → the loop it is on
	var path []int              // rows taken from the start
	var visit func(u string)
	visit = func(u string) {
		state[u] = onPath
		for _, i := range next[u] {
			v := out[i].To
			switch state[v] {
			case unseen:
				path = append(path, i)
				visit(v)
				path = path[:len(path)-1]
			case onPath:
				k := len(path)
				for k > 0 && out[path[k-1]].From != v {
					k--
				}
				loop := append(slices.Clone(path[max(k-1, 0):]), i)
				codes := []string{out[loop[0]].From}
				for _, j := range loop {
					codes = append(codes, out[j].To)
				}
				for _, j := range loop {
					onCycle[j] = strings.Join(codes, " → ")
				}
			}
		}
		state[u] = done
	}
	froms := make([]string, 0, len(next))
	for u := range next {
		froms = append(froms, u)
	}
	slices.Sort(froms)
	for _, u := range froms {
		if state[u] == unseen {
			visit(u)
		}
	}
	for i, loop := range onCycle {
		c.addf(out[i].Line, col, "to_code %s makes a loop: %s", quote(out[i].To), loop)
	}
}
