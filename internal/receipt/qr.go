package receipt

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"
)

// QR codes use error-correction level M (15 % of codewords recoverable): the
// usual choice for printed codes, robust against a smudged thermal receipt
// while keeping the version, and so the module size, small. go-qrcode picks the
// smallest version and switches between numeric, alphanumeric and byte mode
// per segment, so an all-uppercase SurveyURL is encoded in alphanumeric mode
// throughout.
const qrLevel = qrcode.Medium

// PNG size limits in pixels.
const (
	DefaultQRSize = 256
	MinQRSize     = 64
	MaxQRSize     = 1024
)

// QRVersion returns the QR version (1–40) that QRPNG and QRSVG use for url, or
// 0 if url is too long for any QR code.
func QRVersion(url string) int {
	q, err := qrcode.New(url, qrLevel)
	if err != nil {
		return 0
	}
	return q.VersionNumber
}

// QRPNG returns a size×size 1-bit PNG of the QR code of url, with the
// 4-module quiet zone. size 0 means DefaultQRSize; other values are clamped
// to MinQRSize..MaxQRSize.
//
// Every module is the same whole number of pixels and the spare pixels widen
// the quiet zone. (go-qrcode's own PNG stretches the symbol to fill the
// image, giving modules of uneven width, which blur on thermal printers and
// are harder for cheap phone cameras to scan.) If size is smaller than the
// symbol's module count, the image grows to one pixel per module.
func QRPNG(url string, size int) ([]byte, error) {
	bm, err := qrBitmap(url)
	if err != nil {
		return nil, fmt.Errorf("receipt: qr png: %w", err)
	}
	switch {
	case size == 0:
		size = DefaultQRSize
	case size < MinQRSize:
		size = MinQRSize
	case size > MaxQRSize:
		size = MaxQRSize
	}
	n := len(bm)
	scale := size / n
	if scale < 1 {
		scale, size = 1, n
	}
	off := (size - n*scale) / 2

	// Palette index 0 is white, so the zero image is already background.
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bm {
		for x, dark := range row {
			if !dark {
				continue
			}
			for py := off + y*scale; py < off+(y+1)*scale; py++ {
				i := img.PixOffset(off+x*scale, py)
				for j := range scale {
					img.Pix[i+j] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("receipt: qr png: %w", err)
	}
	return buf.Bytes(), nil
}

// QRSVG returns an SVG of the QR code of url: a white square and a single
// <path> in which each run of dark modules in a row is one 1-unit-high
// rectangle, in a viewBox of one unit per module including the quiet zone.
// shape-rendering="crispEdges" keeps renderers from anti-aliasing seams
// between modules. It scales to any print size and is 3–4 kB for a survey URL.
func QRSVG(url string) ([]byte, error) {
	bm, err := qrBitmap(url)
	if err != nil {
		return nil, fmt.Errorf("receipt: qr svg: %w", err)
	}
	n := strconv.Itoa(len(bm))
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + n + " " + n +
		`" width="` + strconv.Itoa(DefaultQRSize) + `" height="` + strconv.Itoa(DefaultQRSize) +
		`" shape-rendering="crispEdges" role="img">`)
	// The title is fixed text, not the url: the url holds the token, and a
	// screen reader or a search index has no use for 26 random characters.
	b.WriteString(`<title>Mã QR khảo sát SIPAS (SIPAS survey QR code)</title>`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			w := 1
			for x+w < len(row) && row[x+w] {
				w++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, w, w)
			x += w
		}
	}
	b.WriteString(`"/></svg>` + "\n")
	return b.Bytes(), nil
}

// qrBitmap returns the modules of url's QR code, quiet zone included,
// indexed [y][x], true for dark.
func qrBitmap(url string) ([][]bool, error) {
	q, err := qrcode.New(url, qrLevel)
	if err != nil {
		return nil, err
	}
	return q.Bitmap(), nil
}
