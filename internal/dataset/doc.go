// Package dataset parses and validates the CSV files that officials import
// into sipas: agencies, populations, responses, aggregates and the crosswalk
// of reorganised units (CONTRACT.md, "CSV files").
//
// The parsers are pure: each reads one file, checks every row against the
// contract and returns either all rows or every problem found, each located
// as FILE:LINE:COLUMN so that an official can fix the file in a spreadsheet.
// They touch no database: what is already known (agency codes, index codes)
// is asked through a callback, called about once per row, so it should be a
// cheap lookup such as a map loaded beforehand. A nil callback knows
// nothing, so that forgetting it fails loudly rather than skipping a check.
// Keeping imports all-or-nothing is the caller's job; to help, a parser
// returns no rows at all when it returns an error. That error is an
// [Errors], except when reading r itself fails. Files are read as a stream:
// [ReadResponses] hands over the rows of a responses file of any length one
// at a time, in bounded memory, with the same checks and messages.
//
// Rules common to every file:
//   - UTF-8, with or without a leading byte order mark; invalid UTF-8 is
//     reported at the line and column where it occurs, and a UTF-16 file is
//     recognised and refused with a hint;
//   - comma-separated, RFC 4180 quoting, LF or CRLF line endings; a stray or
//     unclosed quote and a row with the wrong number of fields are reported
//     and the rest of the file is still checked;
//   - a header row naming the columns, in any order; unknown, unnamed,
//     duplicated and missing required columns are rejected;
//   - codes and enumerated values are case-sensitive, and values are taken
//     literally: " 4" and "4.0" are not the whole number 4;
//   - blank lines, and rows whose fields are all empty (spreadsheets leave
//     them below the data), are skipped but still counted;
//   - years, also those of response timestamps, must be within 2000–2100;
//   - free text (names, comments) and codes are normalised to Unicode NFC,
//     so a code typed in decomposed form is the same code.
//
// LINE is the physical line a text editor shows: the line where the row
// starts, or where the field starts for a problem with one field, so a
// quoted text spanning lines does not shift later rows. COLUMN is the
// 1-based position of the field in the row, and the message also names the
// column. Problems are listed in file order; at most [MaxErrors] are listed
// per file, followed by one "… and N more errors" entry.
package dataset
