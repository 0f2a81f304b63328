package readback

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Filters of LibreOffice's CSV import and export (the options are documented in LibreOffice's
// help, "CSV Filter Options"): field separator, text delimiter and character set by number,
// then the first line to read.
const (
	// CSVSemicolonUTF8 reads a ";"-separated UTF-8 file, quotes as text delimiters, from
	// line 1, recognising numbers in the profile's locale (the language token left empty).
	CSVSemicolonUTF8 = "CSV:59,34,76,1"
	// CSVCommaUTF8 is the same for a ","-separated file.
	CSVCommaUTF8 = "CSV:44,34,76,1"
)

// CSVShownSheet is the export filter that writes sheet n (from 1) of a workbook as a
// ","-separated UTF-8 CSV of the cells as shown, each with its number format applied.
func CSVShownSheet(n int) string {
	return `csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,` + strconv.Itoa(n)
}

// Office converts data, a file called name (its extension tells LibreOffice what it is), with
// headless LibreOffice Calc (soffice, Debian's libreoffice-calc-nogui) set to locale, e.g.
// "vi-VN", as an official's desktop would be: a profile of its own whose only setting is that
// locale, so numbers and dates are read and shown in its conventions. infilter is the import
// filter ("" lets LibreOffice choose); to is --convert-to's argument, e.g. "xlsx" or
// CSVShownSheet(1). It returns the converted file's bytes.
func Office(tb testing.TB, data []byte, name, locale, infilter, to string) []byte {
	tb.Helper()
	bin := Need(tb, "soffice", "libreoffice-calc-nogui")
	dir := tb.TempDir()
	profile := filepath.Join(dir, "profile")
	if err := os.MkdirAll(filepath.Join(profile, "user"), 0o700); err != nil {
		tb.Fatal(err)
	}
	xcu := `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>` + locale + `</value></prop></item>
</oor:items>
`
	if err := os.WriteFile(filepath.Join(profile, "user", "registrymodifications.xcu"), []byte(xcu), 0o600); err != nil {
		tb.Fatal(err)
	}
	in := filepath.Join(dir, name)
	if err := os.WriteFile(in, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	args := []string{"-env:UserInstallation=file://" + profile, "--headless", "--norestore", "--nologo"}
	if infilter != "" {
		args = append(args, "--infilter="+infilter)
	}
	args = append(args, "--convert-to", to, "--outdir", out, in)
	cmd := exec.CommandContext(tb.Context(), bin, args...)
	// The machine's own locale must not decide: the profile's does.
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8", "HOME="+dir)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("soffice: %v\n%s", err, msg)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(files) != 1 {
		tb.Fatalf("soffice wrote %v, want one file\n%s", files, msg)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		tb.Fatal(err)
	}
	if strings.HasSuffix(files[0], ".csv") {
		b = []byte(strings.TrimPrefix(string(b), "\uFEFF"))
	}
	return b
}
