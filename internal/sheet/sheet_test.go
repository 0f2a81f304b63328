package sheet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"sipas/assets"
	"sipas/internal/i18n"
	"sipas/internal/readback"
	"sipas/internal/receipt"
)

func fonts(t *testing.T) fs.FS {
	t.Helper()
	f, err := fs.Sub(assets.FS, "fonts")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func testLabels(t *testing.T, n int, agency string) []Label {
	t.Helper()
	out := make([]Label, n)
	for i := range out {
		tok, err := receipt.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		u, err := receipt.SurveyURL("https://sipas.angiang.gov.vn", tok)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = Label{URL: u, Code: tok.ShortCode(), Number: receipt.NumberOf(tok).Grouped(), Agency: agency}
	}
	return out
}

// TestRenderScans renders 30 labels (a full page and part of a second), rasterises the PDF
// at 200 dpi as a printer would, and reads every QR code back with zbar.
func TestRenderScans(t *testing.T) {
	labels := testLabels(t, 30, "Ủy ban nhân dân xã Mỹ Hòa Hưng, thành phố Long Xuyên, tỉnh An Giang")
	var buf bytes.Buffer
	if err := Render(t.Context(), &buf, fonts(t), labels, Options{L: vi(t), Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.10q", buf.Bytes())
	}
	_, got := readback.QRCodes(t, buf.Bytes())
	var want []string
	for _, l := range labels {
		want = append(want, l.URL)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("decoded %d codes, want the %d URLs:\ngot  %q\nwant %q", len(got), len(want), got, want)
	}

	// The text is real text, in Vietnamese with its diacritics, and every short code is on it.
	{
		text := readback.PDFText(t, buf.Bytes(), "-layout")
		for _, w := range []string{"Quét mã QR", "mức độ hài lòng", "Ủy ban nhân dân xã"} {
			if !strings.Contains(text, w) {
				t.Errorf("the PDF text lacks %q", w)
			}
		}
		for _, l := range labels {
			if !strings.Contains(text, l.Code) {
				t.Errorf("the PDF text lacks the short code %s", l.Code)
			}
			if !strings.Contains(text, l.Number) {
				t.Errorf("the PDF text lacks the number %s", l.Number)
			}
		}
		if !strings.Contains(text, "Mã số:") {
			t.Error("the PDF text lacks the number's name")
		}
	}
}

func TestRenderPages(t *testing.T) {
	for _, n := range []int{1, PerPage, PerPage + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(t.Context(), &buf, fonts(t), testLabels(t, n, "Sở Tư pháp"), Options{}); err != nil {
				t.Fatal(err)
			}
			pages := bytes.Count(buf.Bytes(), []byte("/Type /Page\n")) + bytes.Count(buf.Bytes(), []byte("/Type /Page "))
			if want := (n + PerPage - 1) / PerPage; pages != want {
				t.Errorf("%d labels: %d pages, want %d", n, pages, want)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(t.Context(), &buf, fonts(t), nil, Options{}); err == nil {
		t.Error("no labels: want an error")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Render(ctx, &buf, fonts(t), testLabels(t, 3, "X"), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	if err := Render(t.Context(), &buf, os.DirFS(t.TempDir()), testLabels(t, 1, "X"), Options{}); err == nil {
		t.Error("no fonts: want an error")
	}
}

// vi is the Vietnamese locale of the shipped catalogues.
func vi(t *testing.T) *i18n.Locale {
	t.Helper()
	c, err := i18n.Load(assets.FS)
	if err != nil {
		t.Fatal(err)
	}
	return c.Locale("vi")
}
