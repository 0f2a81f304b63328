// Package readback reads sipas's outputs back in tests the way people and their tools do: the
// text of a PDF (pdftotext), the QR codes of a printed sheet (pdftoppm at 200 dpi, then
// zbarimg), pages in a headless Chromium (chromedp) and their accessibility (axe-core), and
// spreadsheets as LibreOffice Calc set to an official's locale opens them (soffice).
// Without a tool the test is skipped
// locally and fails on CI (CI=true), so that a missing install step of .ci/run cannot pass
// unnoticed.
package readback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Need returns the path of the tool name of the Debian package pkg: the test is skipped
// locally without it, and fails on CI.
func Need(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(tb, name+" not found (apt-get install -y "+pkg+")")
	}
	return p
}

func missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "" {
		tb.Skip(msg + "; set CI=true to make this a failure")
	}
	tb.Fatal(msg)
}

// PDFText returns the text of pdf as pdftotext (poppler-utils) reads it, in UTF-8; args are
// further options, e.g. "-layout".
func PDFText(tb testing.TB, pdf []byte, args ...string) string {
	tb.Helper()
	bin := Need(tb, "pdftotext", "poppler-utils")
	in := filepath.Join(tb.TempDir(), "read.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.CommandContext(tb.Context(), bin, append(append([]string{"-enc", "UTF-8"}, args...), in, "-")...).Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// QRCodes rasterises pdf at 200 dpi, as a printed and scanned page, and returns its number of
// pages and every QR code zbarimg reads on them.
func QRCodes(tb testing.TB, pdf []byte) (pages int, codes []string) {
	tb.Helper()
	pdftoppm := Need(tb, "pdftoppm", "poppler-utils")
	zbarimg := Need(tb, "zbarimg", "zbar-tools")
	dir := tb.TempDir()
	in := filepath.Join(dir, "sheet.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.CommandContext(tb.Context(), pdftoppm, "-r", "200", "-png", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "page*.png"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("pdftoppm wrote no pages (%v)", err)
	}
	for _, p := range files {
		out, err := exec.CommandContext(tb.Context(), zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", p).Output()
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 4) { // 4: no code on the page
			tb.Fatalf("zbarimg %s: %v", filepath.Base(p), err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line != "" {
				codes = append(codes, line)
			}
		}
	}
	return len(files), codes
}

// QRImage returns what zbarimg reads from the PNG image png, byte for byte (--raw: no
// charset conversion, so the test compares the exact bytes encoded).
func QRImage(tb testing.TB, png []byte) string {
	tb.Helper()
	zbar := Need(tb, "zbarimg", "zbar-tools")
	f := filepath.Join(tb.TempDir(), "qr.png")
	if err := os.WriteFile(f, png, 0o600); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.CommandContext(tb.Context(), zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", f).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		tb.Fatalf("zbarimg: %v: %s", err, ee.Stderr)
	}
	if err != nil {
		tb.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// Browser starts a headless Chromium for chromedp, with a fresh profile and opts, and returns
// a tab. timeout is one deadline for the whole browser session: a hung page fails the test,
// not the suite. The browser stops and its profile is removed when the test ends.
func Browser(tb testing.TB, timeout time.Duration, opts ...chromedp.ExecAllocatorOption) context.Context {
	tb.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		missing(tb, ChromiumPath+" not found (apt-get install -y chromium)")
	}
	profile, err := os.MkdirTemp("", "sipas-chromium-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		// Chromium's helper processes may still write to the profile for a moment after the
		// browser exits, so removal is retried.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		tb.Logf("could not remove %s", profile)
	})
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	all := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
	}, opts...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, all...)
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithLogf(tb.Logf))
	tb.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	return tab
}

// AxeViolation is one rule axe-core found broken on a page, with the elements at fault.
type AxeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // CSS selectors of the elements
}

// String writes the violation for a test failure.
func (v AxeViolation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
}

// axeTags are the rule sets checked: WCAG 2.0, 2.1 and 2.2 at levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Axe runs axe-core (the file SIPAS_AXE names; .ci/run installs it from npm) on the page the
// tab shows and returns every WCAG 2.2 A/AA violation. Without axe-core the test is skipped
// locally and fails on CI.
func Axe(tb testing.TB, tab context.Context) []AxeViolation {
	tb.Helper()
	path := os.Getenv("SIPAS_AXE")
	if path == "" {
		missing(tb, "SIPAS_AXE is not set (npm install axe-core; SIPAS_AXE=…/axe-core/axe.min.js)")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		missing(tb, "axe-core: "+err.Error())
	}
	tags, _ := json.Marshal(axeTags)
	run := `(async () => {
		const r = await axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]});
		return JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.map(n => n.target.join(" "))})));
	})()`
	if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
		tb.Fatalf("axe-core: load: %v", err)
	}
	out, err := chromedp.Run(tab, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("axe-core: %v", err)
	}
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		tb.Fatalf("axe-core result: %v", err)
	}
	return vs
}
