package dataset

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Bases on which an index is computed (METHODS.md).
const (
	BasisUnweighted = "unweighted"
	BasisStratified = "stratified"
)

// Aggregate is one row of aggregates.csv: a published index of a baseline
// year, used when the raw responses are not available.
type Aggregate struct {
	Year    int
	Index   string  // a question code, an aspect code or "overall"
	Basis   string  // BasisUnweighted or BasisStratified
	Percent float64 // the published index in percent, 0–100 (83.02, not 0.8302)
	N       float64 // respondents it was computed from, > 0
	// SE is the published standard error in percent (optional column se,
	// METHODS §13); nil when not published.
	SE *float64
	// AgencyCode is the former unit the figure was published for (optional
	// column agency_code, METHODS §11); "" for the whole scope.
	AgencyCode string
	Line       int // line of the row in the file
}

var aggregateColumns = []column{
	{"year", true}, {"index", true}, {"basis", true}, {"percent", true}, {"n", true},
	{"se", false}, {"agency_code", false},
}

// ParseAggregates reads aggregates.csv (year,index,basis,percent,n and the
// optional se and agency_code). Each index must be one for which validIndex
// returns true (a nil validIndex accepts none) and each agency_code one for
// which known does; each (year, index, basis, agency_code) may appear once,
// and one (year, index, basis) is published either for the whole scope or
// for former units, not both. A file in which every non-zero percent is at
// most 1 was almost surely written in fractions and is refused with one
// error saying so. It returns every row, or no rows and an Errors listing
// every problem.
func ParseAggregates(file string, r io.Reader, validIndex, known func(id string) bool) ([]Aggregate, error) {
	c := &collector{file: file}
	af := &aggregateFile{validIndex: validIndex, known: known, dups: newDuplicates("year, index and basis"), scopes: map[string]*scopeUse{}}
	t, err := readTable(file, r, aggregateColumns, "year, index, basis, percent, n", c, af.read)
	if err != nil {
		return nil, err
	}
	if t != nil && af.fraction != "" && !af.sawAboveOne {
		c.addf(t.headerLine, t.index["percent"]+1,
			"percent looks like a fraction in every row (%s on line %d); write percent in percent: %s, not %s",
			af.fraction, af.fracLine, asPercent(af.fraction), af.fraction)
	}
	af.dups.report(c)
	if err := c.err(); err != nil {
		return nil, err
	}
	return af.out, nil
}

// aggregateFile is aggregates.csv being read. The fraction check needs every percent: it
// remembers the first non-zero one ≤ 1 and whether any exceeds 1.
type aggregateFile struct {
	validIndex  func(id string) bool
	known       func(code string) bool
	scopes      map[string]*scopeUse // year, index, basis → how it is published
	out         []Aggregate
	dups        *duplicates
	sawAboveOne bool
	fraction    string // first non-zero percent ≤ 1, as written
	fracLine    int
}

// read checks one row's fields and keeps the row.
func (af *aggregateFile) read(rw *row) {
	a := Aggregate{Line: rw.line}
	year, okYear := rw.year("year")
	a.Year = year
	okIndex := af.index(rw, &a)
	okBasis := false
	if s, i, ok := rw.required("basis"); ok {
		if prob := oneOf(s, BasisUnweighted, BasisStratified); prob != "" {
			rw.errf(i, "basis %s %s", quote(s), prob)
		} else {
			a.Basis, okBasis = s, true
		}
	}
	okUnit := true
	if s, _, present := rw.value("agency_code"); present && s != "" {
		a.AgencyCode, okUnit = rw.knownCode("agency_code", af.known)
	}
	if okYear && okIndex && okBasis && okUnit {
		af.seeKey(rw, &a)
	}
	af.percent(rw, &a)
	af.se(rw, &a)
	if s, i, ok := rw.required("n"); ok {
		v, _, isNum := decimal(s)
		switch {
		case !isNum:
			rw.errf(i, "n %s is not a number%s", quote(s), numberHint(s, false))
		case v <= 0:
			rw.errf(i, "n must be positive, not %s", s)
		default:
			a.N = v
		}
	}
	af.out = append(af.out, a)
}

// seeKey reports a duplicated (year, index, basis, agency_code) and a
// figure for the whole scope next to figures of former units (METHODS §11:
// one or the other).
func (af *aggregateFile) seeKey(rw *row, a *Aggregate) {
	key := fmt.Sprintf("%d\x00%s\x00%s", a.Year, a.Index, a.Basis)
	shown := fmt.Sprintf("%d, %s, %s", a.Year, quote(a.Index), a.Basis)
	unitShown := shown
	if a.AgencyCode != "" {
		unitShown += " for " + quote(a.AgencyCode)
	}
	if !af.dups.see(rw, rw.col("index"), key+"\x00"+a.AgencyCode, unitShown) {
		return
	}
	u := af.scopes[key]
	if u == nil {
		u = &scopeUse{}
		af.scopes[key] = u
	}
	col := rw.col("agency_code")
	if col < 0 {
		col = rw.col("index")
	}
	switch {
	case a.AgencyCode == "" && u.unit > 0:
		rw.errf(col, "%s is given for former units (line %d) and for the whole scope here: give one or the other", shown, u.unit)
	case a.AgencyCode != "" && u.whole > 0:
		rw.errf(col, "%s is given for the whole scope (line %d) and for former unit %s here: give one or the other", shown, u.whole, quote(a.AgencyCode))
	}
	if a.AgencyCode == "" && u.whole == 0 {
		u.whole = rw.line
	} else if a.AgencyCode != "" && u.unit == 0 {
		u.unit = rw.line
	}
}

// scopeUse remembers how one (year, index, basis) is published: for the
// whole scope (first on line whole) or for former units (first on line unit).
type scopeUse struct{ whole, unit int }

// se reads the optional se column (percent, like percent).
func (af *aggregateFile) se(rw *row, a *Aggregate) {
	s, i, present := rw.value("se")
	if !present || s == "" {
		return
	}
	v, _, isNum := decimal(s)
	switch {
	case !isNum:
		rw.errf(i, "se %s is not a number%s", quote(s), numberHint(s, false))
	case v < 0 || v > 100:
		rw.errf(i, "se %s is outside 0–100 (a standard error in percent, like percent)", s)
	default:
		a.SE = &v
	}
}

// index reads the index column, with a hint when only the case is wrong.
func (af *aggregateFile) index(rw *row, a *Aggregate) bool {
	s, i, ok := rw.required("index")
	if !ok {
		return false
	}
	switch {
	case isKnown(af.validIndex, s):
		a.Index = s
		return true
	case s != strings.ToUpper(s) && isKnown(af.validIndex, strings.ToUpper(s)):
		rw.errf(i, "index %s is not known; did you mean %q? codes are case-sensitive", quote(s), strings.ToUpper(s))
	case s != strings.ToLower(s) && isKnown(af.validIndex, strings.ToLower(s)):
		rw.errf(i, "index %s is not known; did you mean %q? codes are case-sensitive", quote(s), strings.ToLower(s))
	default:
		rw.errf(i, "index %s is not a question code, an aspect code or overall", quote(s))
	}
	return false
}

// percent reads the percent column and notes what the fraction check needs.
func (af *aggregateFile) percent(rw *row, a *Aggregate) {
	s, i, ok := rw.required("percent")
	if !ok {
		return
	}
	v, _, isNum := decimal(s)
	switch {
	case !isNum:
		rw.errf(i, "percent %s is not a number%s", quote(s), numberHint(s, false))
	case v < 0 || v > 100:
		rw.errf(i, "percent %s is outside 0–100", s)
	default:
		a.Percent = v
		if v > 1 {
			af.sawAboveOne = true
		} else if v > 0 && af.fraction == "" {
			af.fraction, af.fracLine = s, rw.lines[i]
		}
	}
}

// asPercent writes the fraction s (a valid decimal) times 100 with no more
// digits than s has, so "0.8302" becomes "83.02" and not 83.02000000000001.
func asPercent(s string) string {
	v, places, _ := decimal(s)
	return strconv.FormatFloat(v*100, 'f', max(places-2, 0), 64)
}
