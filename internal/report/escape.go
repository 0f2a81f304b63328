package report

import "unicode"

// SafeCell returns s made safe to put in a spreadsheet cell: when s starts
// with a character that makes Excel, LibreOffice or Google Sheets read the
// cell as a formula (= + - @, tab, carriage return or line feed, or the
// full-width ＝ ＋ － ＠ that East Asian input methods type), it returns s
// with a single quote in front, which spreadsheets show as text. Anything
// else is returned unchanged, so ordinary Vietnamese text, codes and
// negative numbers written as numbers are not touched.
//
// Leading spaces do not hide a trigger: " =1+2" is neutralised too, because
// some importers trim cells before deciding whether they hold a formula.
//
// The price is that a comment which really starts with "-" or "=" exports
// with an apostrophe before it; CONTRACT.md asks for neutralised free text,
// and an apostrophe is the escape that every spreadsheet understands.
func SafeCell(s string) string {
	for _, r := range s {
		if isFormulaTrigger(r) {
			return "'" + s
		}
		if !unicode.IsSpace(r) {
			return s
		}
	}
	return s
}

// isFormulaTrigger reports whether a cell starting with r may be evaluated
// as a formula (or, for tab, CR and LF, may shift into a formula cell when
// pasted).
func isFormulaTrigger(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n',
		'＝', '＋', '－', '＠': // U+FF1D, U+FF0B, U+FF0D, U+FF20
		return true
	}
	return false
}
