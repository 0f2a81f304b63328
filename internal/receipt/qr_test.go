package receipt

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sipas/internal/readback"

	qrcode "github.com/skip2/go-qrcode"
)

// Tokens with fixed text, so the measured versions below are reproducible.
const (
	testRandom = Token("W2Z23X7X3C1NVRF2")
	testSigned = Token("000021HY00002E5XQH81F4V5X4") // vector 1
)

func MustSurveyURL(tb testing.TB, base string, t Token) string {
	tb.Helper()
	u, err := SurveyURL(base, t)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func TestQRVersion(t *testing.T) {
	tests := []struct {
		base string
		tok  Token
		want int
	}{
		{"https://sipas.angiang.gov.vn", testRandom, 3},
		{"https://sipas.angiang.gov.vn", testSigned, 3},
		{"https://dichvucong.angiang.gov.vn/sipas", testRandom, 3},
		{"https://dichvucong.angiang.gov.vn/sipas", testSigned, 4},
		{"http://127.0.0.1:8080", testRandom, 3},
		{"http://127.0.0.1:8080", testSigned, 3},
		{"https://dichvucong.bariavungtau.gov.vn/khao-sat/sipas", testRandom, 4},
		{"https://dichvucong.bariavungtau.gov.vn/khao-sat/sipas", testSigned, 4},
		// The longest base URL docs/tokens.md promises version 4 for.
		{"https://" + strings.Repeat("a", 53), testSigned, 4},
		{"https://" + strings.Repeat("a", 63), testRandom, 4},
		{"https://" + strings.Repeat("a", 54), testSigned, 5},
		{"https://" + strings.Repeat("a", 64), testRandom, 5},
	}
	for _, tt := range tests {
		u := MustSurveyURL(t, tt.base, tt.tok)
		t.Run(u, func(t *testing.T) {
			if got := QRVersion(u); got != tt.want {
				t.Errorf("QRVersion = %d, want %d (%d chars)", got, tt.want, len(u))
			}
			// What the uppercase form buys: byte mode needs a larger version.
			if lower := strings.ToLower(u); QRVersion(lower) < tt.want {
				t.Errorf("QRVersion(lowercase) = %d, smaller than uppercase %d", QRVersion(lower), tt.want)
			}
		})
	}
	if got := QRVersion(strings.Repeat("Z", 5000)); got != 0 {
		t.Errorf("QRVersion(5000 chars) = %d, want 0", got)
	}
}

func TestQRPNG(t *testing.T) {
	urls := []string{
		MustSurveyURL(t, "https://sipas.angiang.gov.vn", testRandom),
		MustSurveyURL(t, "https://dichvucong.angiang.gov.vn/sipas", testSigned),
		"https://sipas.angiang.gov.vn/s/w2z23x7x3c1nvrf2", // byte mode encodes exactly too
	}
	sizes := []struct{ size, want int }{
		{0, DefaultQRSize},
		{-5, MinQRSize},
		{1, MinQRSize},
		{MinQRSize, MinQRSize},
		{100, 100},
		{300, 300},
		{MaxQRSize, MaxQRSize},
		{5000, MaxQRSize},
	}
	for _, u := range urls {
		for _, sz := range sizes {
			t.Run(strconv.Itoa(sz.size)+"/"+u, func(t *testing.T) {
				b, err := QRPNG(u, sz.size)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if got := img.Bounds(); got.Dx() != sz.want || got.Dy() != sz.want {
					t.Fatalf("image %v, want %d×%d", got, sz.want, sz.want)
				}
				assertModules(t, img, MustBitmap(t, u))
				if got := readback.QRImage(t, b); got != u {
					t.Errorf("zbarimg read %q, want %q", got, u)
				}
			})
		}
	}
	if _, err := QRPNG(strings.Repeat("Z", 5000), 0); err == nil || !strings.HasPrefix(err.Error(), "receipt: qr png: ") {
		t.Errorf("QRPNG(5000 chars) err = %v, want a receipt: qr png: error", err)
	}
}

func MustBitmap(tb testing.TB, u string) [][]bool {
	tb.Helper()
	q, err := qrcode.New(u, qrcode.Medium)
	if err != nil {
		tb.Fatal(err)
	}
	return q.Bitmap()
}

// assertModules checks that img shows bm with square modules of one whole
// pixel size, centred, on white.
func assertModules(tb testing.TB, img image.Image, bm [][]bool) {
	tb.Helper()
	size, n := img.Bounds().Dx(), len(bm)
	scale := max(size/n, 1)
	off := (size - n*scale) / 2
	for py := range size {
		for px := range size {
			x, y := (px-off)/scale, (py-off)/scale
			want := px >= off && py >= off && x < n && y < n && bm[y][x]
			r, _, _, _ := img.At(px, py).RGBA()
			if dark := r < 0x8000; dark != want {
				tb.Fatalf("pixel (%d,%d) dark = %v, want %v (scale %d, offset %d)", px, py, dark, want, scale, off)
			}
		}
	}
}

type svgDoc struct {
	XMLName        xml.Name `xml:"svg"`
	ViewBox        string   `xml:"viewBox,attr"`
	ShapeRendering string   `xml:"shape-rendering,attr"`
	Title          string   `xml:"title"`
	Rects          []struct {
		Width  string `xml:"width,attr"`
		Height string `xml:"height,attr"`
		Fill   string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		D    string `xml:"d,attr"`
		Fill string `xml:"fill,attr"`
	} `xml:"path"`
}

var svgRun = regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

func TestQRSVG(t *testing.T) {
	for _, u := range []string{
		MustSurveyURL(t, "https://sipas.angiang.gov.vn", testRandom),
		MustSurveyURL(t, "https://dichvucong.angiang.gov.vn/sipas", testSigned),
	} {
		t.Run(u, func(t *testing.T) {
			b, err := QRSVG(u)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > 6000 {
				t.Errorf("SVG is %d bytes, want a small file", len(b))
			}
			if bytes.Contains(b, []byte(u[len(u)-16:])) {
				t.Error("SVG contains the token")
			}
			var doc svgDoc
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("SVG is not XML: %v", err)
			}
			bm := MustBitmap(t, u)
			n := len(bm)
			if want := "0 0 " + strconv.Itoa(n) + " " + strconv.Itoa(n); doc.ViewBox != want {
				t.Errorf("viewBox = %q, want %q", doc.ViewBox, want)
			}
			if want := 17 + 4*QRVersion(u) + 8; n != want {
				t.Errorf("bitmap is %d modules, want %d for version %d with quiet zone", n, want, QRVersion(u))
			}
			if len(doc.Rects) != 1 || doc.Rects[0].Width != strconv.Itoa(n) || doc.Rects[0].Height != strconv.Itoa(n) || doc.Rects[0].Fill != "#fff" {
				t.Errorf("background rects = %+v, want one white %d×%d", doc.Rects, n, n)
			}
			if doc.ShapeRendering != "crispEdges" {
				t.Errorf("shape-rendering = %q, want crispEdges", doc.ShapeRendering)
			}
			if doc.Title == "" {
				t.Error("no <title>")
			}
			if len(doc.Paths) != 1 {
				t.Fatalf("%d paths, want 1", len(doc.Paths))
			}

			// Paint the path back into a grid: it must be the bitmap, module
			// for module.
			grid := make([][]bool, n)
			for i := range grid {
				grid[i] = make([]bool, n)
			}
			d, dark := doc.Paths[0].D, 0
			for d != "" {
				m := svgRun.FindStringSubmatch(d)
				if m == nil {
					t.Fatalf("unexpected path data at %.20q", d)
				}
				x, _ := strconv.Atoi(m[1])
				y, _ := strconv.Atoi(m[2])
				w, _ := strconv.Atoi(m[3])
				if m[3] != m[4] || x+w > n || y >= n {
					t.Fatalf("bad run %q", m[0])
				}
				for i := x; i < x+w; i++ {
					if grid[y][i] {
						t.Fatalf("module (%d,%d) painted twice", i, y)
					}
					grid[y][i] = true
					dark++
				}
				d = d[len(m[0]):]
			}
			want := 0
			for y := range n {
				for x := range n {
					if bm[y][x] {
						want++
					}
					if grid[y][x] != bm[y][x] {
						t.Fatalf("module (%d,%d) = %v in SVG, %v in bitmap", x, y, grid[y][x], bm[y][x])
					}
				}
			}
			if dark != want {
				t.Errorf("SVG paints %d dark modules, bitmap has %d", dark, want)
			}

			// And the geometry scans: rasterise the grid ourselves (no SVG
			// renderer is needed for that) and let zbar read it.
			const scale = 4
			img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
			for py := range n * scale {
				for px := range n * scale {
					c := color.Gray{Y: 255}
					if grid[py/scale][px/scale] {
						c.Y = 0
					}
					img.SetGray(px, py, c)
				}
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			if got := readback.QRImage(t, buf.Bytes()); got != u {
				t.Errorf("zbarimg read the SVG's modules as %q, want %q", got, u)
			}

			rasteriseSVG(t, b, u)
		})
	}
}

// rasteriseSVG renders the SVG with a real renderer when one is installed
// and checks that it scans.
func rasteriseSVG(t *testing.T, svg []byte, u string) {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "qr.svg"), filepath.Join(dir, "qr.png")
	if err := os.WriteFile(in, svg, 0o600); err != nil {
		t.Fatal(err)
	}
	var cmd *exec.Cmd
	switch {
	case lookPath("rsvg-convert"):
		cmd = exec.CommandContext(t.Context(), "rsvg-convert", "-w", "512", "-o", out, in)
	case lookPath("resvg"):
		cmd = exec.CommandContext(t.Context(), "resvg", "-w", "512", in, out)
	case lookPath("inkscape"):
		cmd = exec.CommandContext(t.Context(), "inkscape", "--export-type=png", "--export-width=512", "--export-filename="+out, in)
	default:
		t.Log("no SVG renderer (rsvg-convert, resvg, inkscape) installed; SVG checked structurally only")
		return
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd.Path, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := readback.QRImage(t, b); got != u {
		t.Errorf("zbarimg read the rendered SVG as %q, want %q", got, u)
	}
}

func lookPath(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}
