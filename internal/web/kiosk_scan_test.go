package web

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sipas/internal/receipt"
)

// A kiosk whose browser has no BarcodeDetector (Chromium on Linux, like many tablets' older
// browsers) still scans receipts: its camera is Chromium's fake one, playing a picture of a
// real receipt's QR code (the PNG the receipts API serves, framed as a 640×480 camera image);
// the kiosk reads it with the vendored jsQR and opens that receipt's survey. The decoder also
// reads the PNG itself, and the citizen's survey page never loads it.
func TestKioskScansWithoutBarcodeDetector(t *testing.T) {
	lk := startLiveKiosk(t)
	_, code := lk.register(t, false)
	tok := lk.receipt(t)
	qr := lk.do(t, http.MethodGet, "/api/v1/receipts/"+string(tok)+"/qr.png?size=360", "", nil)
	if qr.Code != http.StatusOK {
		t.Fatalf("QR PNG: %d", qr.Code)
	}
	camera := filepath.Join(t.TempDir(), "camera.y4m")
	writeCameraY4M(t, camera, qr.Body.Bytes(), 640, 480)
	tab := kioskBrowser(t, 90*time.Second,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", camera))
	lk.browserEnrol(t, tab, code)

	if jsValue[bool](t, tab, `'BarcodeDetector' in window`) {
		t.Log("this Chromium has BarcodeDetector; the PNG is still read with jsQR below")
	}
	if !jsValue[bool](t, tab, `typeof window.jsQR === 'function'`) {
		t.Fatal("the kiosk page did not load jsqr.min.js")
	}
	want, err := receipt.SurveyURL(lk.URL, tok)
	if err != nil {
		t.Fatal(err)
	}
	read := jsValue[string](t, tab, `(async () => {
		delete window.BarcodeDetector;
		const img = new Image();
		img.src = '/api/v1/receipts/`+string(tok)+`/qr.png';
		await img.decode();
		return await window.sipasQRReader()(img);
	})()`)
	if read != want {
		t.Errorf("jsQR read the receipt's PNG as %q, want %q", read, want)
	}

	within(t, tab, 30*time.Second, "scan the receipt with the camera",
		chromedp.WaitVisible(chromedp.ID("k-scan")),
		chromedp.Click(chromedp.ID("k-scan")),
		chromedp.WaitVisible(chromedp.ID("k-survey")))
	if got := jsValue[string](t, tab, `document.getElementById('k-receipt').value`); got != string(tok) {
		t.Errorf("the scanned survey is for receipt %q, want %q", got, tok)
	}

	// The citizen's page carries no decoder.
	page := lk.do(t, http.MethodGet, "/s/"+string(tok), "", nil).Body.String()
	if strings.Contains(page, "jsqr") || strings.Contains(page, "<script") {
		t.Error("the citizen's survey page loads a script")
	}
}

// writeCameraY4M writes a one-frame YUV4MPEG2 video of w×h, white, with the PNG qr centred:
// what Chromium's fake camera plays (--use-file-for-fake-video-capture).
func writeCameraY4M(t *testing.T, path string, qr []byte, w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(qr))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	ox, oy := (w-b.Dx())/2, (h-b.Dy())/2
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\nFRAME\n", w, h)
	for y := range h {
		for x := range w {
			luma := byte(255)
			if p := (image.Point{x - ox + b.Min.X, y - oy + b.Min.Y}); p.In(b) {
				luma = color.GrayModel.Convert(img.At(p.X, p.Y)).(color.Gray).Y
			}
			bw.WriteByte(luma)
		}
	}
	bw.Write(bytes.Repeat([]byte{128}, w*h/2)) // U and V: no colour
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
