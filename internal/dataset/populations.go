package dataset

import (
	"fmt"
	"io"
)

// Population is one row of populations.csv: how many receipts an agency
// issued in a year, the size of its stratum (METHODS.md §2).
type Population struct {
	Year       int
	AgencyCode string
	Receipts   int64 // at least 1
	Line       int   // line of the row in the file
}

var populationColumns = []column{
	{"year", true}, {"agency_code", true}, {"receipts", true},
}

// ParsePopulations reads populations.csv (year,agency_code,receipts). Each
// agency_code must be one for which known returns true (a nil known knows
// none), and each (year, agency_code) may appear once. It returns every
// row, or no rows and an Errors listing every problem.
func ParsePopulations(file string, r io.Reader, known func(code string) bool) ([]Population, error) {
	c := &collector{file: file}
	var out []Population
	dups := newDuplicates("year and agency_code")
	_, err := readTable(file, r, populationColumns, "year, agency_code, receipts", c, func(rw *row) {
		p := Population{Line: rw.line}
		year, okYear := rw.year("year")
		code, okCode := rw.knownCode("agency_code", known)
		if okYear && okCode {
			p.Year, p.AgencyCode = year, code
			dups.see(rw, rw.col("agency_code"), fmt.Sprintf("%d\x00%s", year, code), fmt.Sprintf("%d, %s", year, quote(code)))
		}
		if s, i, ok := rw.required("receipts"); ok {
			n, isInt, tooLarge := integer(s)
			switch {
			case !isInt:
				rw.errf(i, "receipts %s is not a whole number%s", quote(s), numberHint(s, true))
			case tooLarge:
				rw.errf(i, "receipts %s is too large", s)
			case n <= 0:
				rw.errf(i, "receipts must be positive, not %s", s)
			default:
				p.Receipts = n
			}
		}
		out = append(out, p)
	})
	if err != nil {
		return nil, err
	}
	dups.report(c)
	if err := c.err(); err != nil {
		return nil, err
	}
	return out, nil
}
