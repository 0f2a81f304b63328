// Package report renders computed index reports (index.Report) for the people
// and scripts that read them: the CSV of CONTRACT.md ("one row per index and
// basis, with percentages"), an XLSX workbook and an A4 PDF that a Sở Nội vụ
// can put in an official report, small SVG charts for the dashboard, and the
// raw responses export in the responses.csv layout, streamed as CSV or XLSX.
//
// The package is pure: writers take an already computed *index.Report and a
// Meta (the wording around the numbers: questionnaire, language, scope, agency
// names; NewMeta builds it) and write to an io.Writer. Every word comes from
// the language's catalogue (Meta.L, assets/i18n): a new language touches no Go
// code here. Fonts reach the PDF writer as an fs.FS, so the binary embeds them
// and tests read them from disk.
//
// # Number formats
//
// Machine formats (the CSV files) use a decimal point and RFC 3339 whatever
// the language, as CONTRACT.md requires; CSVOptions.Locale writes the same
// table for a spreadsheet set to a language (decimal comma and ";" for vi-VN). Human formats (PDF, SVG, the text of
// XLSX cells) write numbers in the conventions of Meta.L (i18n.Languages):
// 87,5% and 1.234 in Vietnamese, 87.5% and 1,234 in English. XLSX keeps every
// quantity a number (fractions with a 0.0% format), never text, so officials
// can recompute and chart them; the spreadsheet program then shows the decimal
// separator of the reader's locale.
//
// # One verdict per comparison
//
// METHODS §12: every comparison officials read is a Line (reading.go), built
// the same way for the dashboard, the XLSX and the PDF: the numbers of the
// line on one basis, the stratified one (receipts-weighted); the one verdict
// (Holm over every agency of the unfiltered report for agencies, Holm over the
// report's questions for criteria, the interval's for aspects and the overall
// index); rank ranges; what an agency is compared with; and the sentences that
// belong to it (words.go). Where a stratified estimate does not exist (a
// stratum lacks its receipts count) the whole line is on the unweighted basis,
// labelled a diagnostic, with no verdict words. Guide holds the sentences that
// explain a table: what an interval, a verdict, an adjustment, a rank range and
// a response rate mean.
//
// # Spreadsheet formula injection
//
// Free text in the exports (comments, agency names, question wording edited
// by officials, response IDs from older systems) could start with = + - @ and
// be run as a formula when a spreadsheet opens the file. Every text cell of
// every CSV and XLSX export goes through SafeCell, which neutralises such
// cells with a leading apostrophe (STYLE.md pitfall 9, OWASP "CSV injection").
// Numbers are written as numbers and never pass through it.
package report
