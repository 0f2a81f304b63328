// Package sheet lays out QR sticker sheets: A4 pages of 3×8 labels, each with the QR code of
// one receipt's survey URL, its short code, the agency's name and the invitation to scan, in
// the language of Options.L (the catalogue keys sheet.*).
// Counters whose software cannot print QR codes stick one on each receipt they hand out.
// The package only draws: the receipts are issued by the caller, and it does no I/O besides
// reading the fonts and writing the PDF.
package sheet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"

	"sipas/internal/i18n"
	"sipas/internal/receipt"
)

// Label is one sticker.
type Label struct {
	URL    string // what the QR code encodes, exactly: receipt.SurveyURL
	Code   string // the short code printed beside it (receipt.Token.ShortCode)
	Number string // the receipt's number (receipt.Number.Grouped), typed at kiosks; "" for none
	Agency string // the agency's name
}

// The layout: A4 portrait cut into Columns×Rows labels of LabelWidth×LabelHeight mm with no
// margin, the common 24-up sticker sheet (70×37 mm).
const (
	Columns     = 3
	Rows        = 8
	PerPage     = Columns * Rows
	LabelWidth  = 210.0 / Columns
	LabelHeight = 297.0 / Rows
)

// Fonts the sheet reads from the fonts file system given to Render (assets/fonts).
const (
	FontRegular = "DejaVuSans.ttf"
	FontBold    = "DejaVuSans-Bold.ttf"
)

const (
	pad      = 2.5  // mm inside a label's edge
	qrSize   = 32.9 // mm, quiet zone included: 37 modules of 0.89 mm at version 3, 7 whole pixels at 200 dpi
	qrPixels = 37 * 8
	textGap  = 1.5
)

// Options are the document's fixed facts.
type Options struct {
	// L is the language of the words on the stickers: sheet.title (the document's title),
	// sheet.caption (the invitation to scan, GLOSSARY.md: quét mã QR, mức độ hài lòng) and
	// sheet.short_code. Nil shows the keys.
	L       *i18n.Locale
	Created time.Time // creation date written into the PDF; default now
}

func (o Options) t(key string) string {
	if o.L == nil {
		return key
	}
	return o.L.T(key)
}

// Render writes the PDF of labels, PerPage to a page, in order. It checks ctx between labels,
// so a cancelled request stops drawing a large sheet.
func Render(ctx context.Context, w io.Writer, fonts fs.FS, labels []Label, o Options) error {
	if len(labels) == 0 {
		return fmt.Errorf("sheet: no labels")
	}
	regular, err := fs.ReadFile(fonts, FontRegular)
	if err != nil {
		return fmt.Errorf("sheet: font: %w", err)
	}
	bold, err := fs.ReadFile(fonts, FontBold)
	if err != nil {
		return fmt.Errorf("sheet: font: %w", err)
	}
	if o.Created.IsZero() {
		o.Created = time.Now()
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("dejavu", "", regular)
	pdf.AddUTF8FontFromBytes("dejavu", "B", bold)
	pdf.SetTitle(o.t("sheet.title"), true)
	pdf.SetCreator("sipas", true)
	if o.L != nil {
		pdf.SetLang(o.L.Tag)
	}
	pdf.SetCreationDate(o.Created)
	pdf.SetModificationDate(o.Created)
	pdf.SetCatalogSort(true)
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCellMargin(0)
	for i, l := range labels {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sheet: %w", err)
		}
		if i%PerPage == 0 {
			pdf.AddPage()
		}
		n := i % PerPage
		x, y := float64(n%Columns)*LabelWidth, float64(n/Columns)*LabelHeight
		if err := drawLabel(pdf, "qr"+strconv.Itoa(i), x, y, l, o); err != nil {
			return err
		}
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	return nil
}

// drawLabel draws one label with its top-left corner at x, y: the QR code on the left, on the
// right the agency's name (bold, at most three lines), the caption and, at the bottom, the
// short code, shrunk to fit the column.
func drawLabel(pdf *fpdf.Fpdf, name string, x, y float64, l Label, o Options) error {
	png, err := receipt.QRPNG(l.URL, qrPixels)
	if err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	// A cutting guide for plain paper, light enough to vanish on pre-cut sticker sheets.
	pdf.SetDrawColor(210, 210, 210)
	pdf.SetLineWidth(0.1)
	pdf.Rect(x+0.5, y+0.5, LabelWidth-1, LabelHeight-1, "D")

	pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	qy := y + (LabelHeight-qrSize)/2
	pdf.ImageOptions(name, x+pad-1, qy, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")

	tx := x + pad - 1 + qrSize + textGap
	tw := x + LabelWidth - pad - tx
	ty := y + pad + 1
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("dejavu", "B", 8)
	ty = lines(pdf, tx, ty, tw, 3.4, pdf.SplitText(l.Agency, tw), 3)
	ty += 1
	pdf.SetFont("dejavu", "", 7.5)
	pdf.SetTextColor(40, 40, 40)
	bottom := y + LabelHeight - pad
	captionLines := 3
	if l.Number != "" { // the number takes the room of the caption's third line
		captionLines = int((bottom - 13 - ty) / 3.2)
	}
	lines(pdf, tx, ty, tw, 3.2, pdf.SplitText(o.t("sheet.caption"), tw), max(captionLines, 1))

	// The number, then the short code, each under its name at the bottom.
	if l.Number != "" {
		labelled(pdf, tx, bottom-7, tw, o.t("sheet.number"), l.Number)
	}
	labelled(pdf, tx, bottom-1.2, tw, o.t("sheet.short_code"), l.Code)
	return nil
}

// labelled writes name in small grey type and below it, with its baseline at y, value in bold
// on one line: the largest size up to 9 pt that fits the width w.
func labelled(pdf *fpdf.Fpdf, x, y, w float64, name, value string) {
	size := 9.0
	for ; size > 5; size -= 0.25 {
		pdf.SetFont("dejavu", "B", size)
		if pdf.GetStringWidth(value) <= w {
			break
		}
	}
	pdf.SetFont("dejavu", "", 6)
	pdf.SetTextColor(90, 90, 90)
	pdf.Text(x, y-3.4, name)
	pdf.SetFont("dejavu", "B", size)
	pdf.SetTextColor(0, 0, 0)
	pdf.Text(x, y, value)
}

// lines writes at most max of ls from (x, y) with line height h, an ellipsis ending the last
// when some are left out, and returns the y below them.
func lines(pdf *fpdf.Fpdf, x, y, w, h float64, ls []string, max int) float64 {
	if len(ls) > max {
		last := []rune(ls[max-1])
		for len(last) > 0 && pdf.GetStringWidth(string(last)+"…") > w {
			last = last[:len(last)-1]
		}
		ls = append(ls[:max-1:max-1], string(last)+"…")
	}
	for _, s := range ls {
		y += h
		pdf.Text(x, y, s)
	}
	return y
}
