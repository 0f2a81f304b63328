package dataset

import (
	"io"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Agency levels, from the top of the hierarchy down (CONTRACT.md, agencies.csv).
const (
	LevelProvince = "province"
	LevelDistrict = "district"
	LevelCommune  = "commune"
)

// Levels is the one list of agency levels, from the top down: the values of agencies.csv's
// level column, of the report's level filter and of the officials' agency form. A new level
// is a line here and a "level.<level>" key in each catalogue of assets/i18n.
var Levels = []string{LevelProvince, LevelDistrict, LevelCommune}

// TwoLevelFrom is the first year of two-level local government (province and commune,
// Nghị quyết 202/2025/QH15): the district level ended on 30 June 2025, and a report of 2025 or
// later is read against today's units, so the district level is no longer offered for it.
const TwoLevelFrom = 2025

// LevelsIn returns the levels of local government in year, from the top down: Levels before
// TwoLevelFrom, then province and commune. The officials' level filter offers these.
func LevelsIn(year int) []string {
	if year >= TwoLevelFrom {
		return []string{LevelProvince, LevelCommune}
	}
	return Levels
}

// LevelKey returns the catalogue key of level's name in a report of year: "level.<level>",
// or from TwoLevelFrom on "level.<level>_since2025", which for the commune level names the
// communes, wards and special zones of 2025 and for the district level the date it ended.
func LevelKey(level string, year int) string {
	if year >= TwoLevelFrom && level != LevelProvince && IsLevel(level) {
		return "level." + level + "_since2025"
	}
	return "level." + level
}

func rankOf(level string) int {
	r, _ := levelRank(level)
	return r
}

// IsLevel reports whether s is one of Levels.
func IsLevel(s string) bool { return slices.Contains(Levels, s) }

// levelRank orders levels so that an agency's parent is never below it: the level's place in
// Levels, 0 and false for an unknown level (already reported).
func levelRank(level string) (int, bool) {
	i := slices.Index(Levels, level)
	return max(i, 0), i >= 0
}

// Agency is one row of agencies.csv.
type Agency struct {
	Code       string
	Name       string // Unicode NFC
	Level      string // LevelProvince, LevelDistrict or LevelCommune
	ParentCode string // empty for a top agency
	Line       int    // line of the row in the file
}

var agencyColumns = []column{
	{"code", true}, {"name", true}, {"level", true}, {"parent_code", true},
}

// ParseAgencies reads agencies.csv (code,name,level,parent_code). Every
// parent_code must be an agency of the same file or one for which known
// returns true (a nil known knows none); a parent defined in the file must
// not be of a lower level than its child, and parents must not form a loop.
// It returns every row, or no rows and an Errors listing every problem.
func ParseAgencies(file string, r io.Reader, known func(code string) bool) ([]Agency, error) {
	c := &collector{file: file}
	af := &agencyFile{byCode: map[string]int{}, dups: newDuplicates("code")}
	t, err := readTable(file, r, agencyColumns, "code, name, level, parent_code", c, af.read)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, c.err()
	}
	af.dups.report(c)
	pc := t.index["parent_code"] + 1
	af.checkParents(c, pc, known)
	reportLoops(c, af.rows, af.parentLines, af.byCode, pc)

	// Every row that failed a check added a problem, so without problems
	// all rows are complete.
	if err := c.err(); err != nil {
		return nil, err
	}
	return af.rows, nil
}

// agencyFile is agencies.csv being read. rows holds every row, also rows with problems, so
// that their children do not get a second, misleading "unknown parent" error.
type agencyFile struct {
	rows        []Agency
	parentLines []int          // where each row's parent_code starts, for messages
	byCode      map[string]int // code → index in rows of its first row
	dups        *duplicates
}

// read checks one row's fields and keeps the row.
func (af *agencyFile) read(rw *row) {
	a := Agency{Line: rw.line}
	if s, i, fine := rw.required("code"); fine {
		s = norm.NFC.String(s) // a code typed in decomposed Unicode is the same code
		if p := codeProblem(s); p != "" {
			rw.errf(i, "code %s %s", quote(s), p)
		} else {
			a.Code = s
			if af.dups.see(rw, i, s, quote(s)) {
				af.byCode[s] = len(af.rows)
			}
		}
	}
	if s, i, fine := rw.required("name"); fine {
		if strings.ContainsFunc(s, unicode.IsControl) {
			rw.errf(i, "name %s contains a line break or another control character", quote(s))
		}
		a.Name = norm.NFC.String(s)
	}
	if s, i, fine := rw.required("level"); fine {
		if p := oneOf(s, Levels...); p != "" {
			rw.errf(i, "level %s %s", quote(s), p)
		} else {
			a.Level = s
		}
	}
	if s, i, fine := rw.value("parent_code"); fine && s != "" {
		s = norm.NFC.String(s)
		if p := codeProblem(s); p != "" {
			rw.errf(i, "parent_code %s %s", quote(s), p)
		} else {
			a.ParentCode = s
		}
	}
	pl := rw.line
	if i := rw.col("parent_code"); i >= 0 {
		pl = rw.lines[i]
	}
	af.rows = append(af.rows, a)
	af.parentLines = append(af.parentLines, pl)
}

// checkParents checks every parent_code once every row is read, since parents may be defined
// further down the file; pc is the column of parent_code.
func (af *agencyFile) checkParents(c *collector, pc int, known func(code string) bool) {
	for k, a := range af.rows {
		if a.ParentCode == "" || a.Code == "" {
			continue
		}
		line := af.parentLines[k]
		j, inFile := af.byCode[a.ParentCode]
		switch {
		case a.ParentCode == a.Code:
			c.addf(line, pc, "parent_code %s is the agency itself", quote(a.ParentCode))
		case inFile:
			p := af.rows[j]
			if rp, ok := levelRank(p.Level); ok && a.Level != "" && rp > rankOf(a.Level) {
				c.addf(line, pc, "parent_code %s is a %s agency (line %d), below this %s agency", quote(a.ParentCode), p.Level, p.Line, a.Level)
			}
		case !isKnown(known, a.ParentCode):
			c.addf(line, pc, "parent_code %s is neither an agency in this file nor a known agency", quote(a.ParentCode))
		}
	}
}

// reportLoops reports every agency on a loop of parents inside the file
// (A → B → A). It walks each parent chain once, so it is linear in the
// number of rows.
func reportLoops(c *collector, out []Agency, lines []int, byCode map[string]int, col int) {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(out))
	for start := range out {
		var path []int
		at := start
		for {
			if state[at] == done {
				break
			}
			if state[at] == onPath {
				// The loop is the part of path from at on.
				k := 0
				for path[k] != at {
					k++
				}
				loop := path[k:]
				if len(loop) > 1 { // a self-parent is reported on its own
					for _, i := range loop {
						c.addf(lines[i], col, "parent_code %s makes a loop: %s", quote(out[i].ParentCode), loopText(out, loop, i))
					}
				}
				break
			}
			state[at] = onPath
			path = append(path, at)
			next, ok := byCode[out[at].ParentCode]
			if !ok || out[at].ParentCode == "" {
				break
			}
			at = next
		}
		for _, i := range path {
			state[i] = done
		}
	}
}

// loopText writes the loop starting at agency from, e.g. "A → B → A".
func loopText(out []Agency, loop []int, from int) string {
	k := 0
	for loop[k] != from {
		k++
	}
	var codes []string
	for n := 0; n <= len(loop); n++ {
		if n == 6 && len(loop) > 6 {
			codes = append(codes, "…")
			n = len(loop)
		}
		codes = append(codes, out[loop[(k+n)%len(loop)]].Code)
	}
	return strings.Join(codes, " → ")
}
