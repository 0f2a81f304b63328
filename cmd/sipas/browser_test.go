package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sipas/internal/readback"
	"sipas/internal/store/storetest"
)

// newBrowser is a headless Chromium tab with one 45 s deadline (readback.Browser).
func newBrowser(t *testing.T) context.Context { return readback.Browser(t, 45*time.Second) }

// TestBrowserSurvey is the citizen's loop on a phone: open the QR code's URL, answer a few
// questions with taps, type a Vietnamese comment, submit, and see the thanks page.
func TestBrowserSurvey(t *testing.T) {
	tab := newBrowser(t)
	srv := startServer(t)
	st := openDB(t, srv.DB)
	storetest.MustCreateAgency(t, st, "MG.STP", "Sở Tư pháp tỉnh Minh Giang", "province")
	tok := storetest.MustCreateReceipt(t, st, "MG.STP")
	const comment = "Cán bộ hướng dẫn tận tình, thủ tục nhanh gọn. Cảm ơn!"

	// The URL as the QR code carries it: uppercase path.
	url := srv.URL + "/S/" + string(tok)
	if err := chromedp.Do(tab,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait),
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("form")),
	); err != nil {
		t.Fatalf("open the survey: %v", err)
	}

	h1, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Phiếu khảo sát sự hài lòng"; !strings.Contains(h1, want) {
		t.Errorf("h1 = %q, want it to contain %q", h1, want)
	}
	agency, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(".agency strong")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := agency, "Sở Tư pháp tỉnh Minh Giang"; got != want {
		t.Errorf("agency = %q, want %q", got, want)
	}

	// At phone width nothing scrolls sideways.
	overflow, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if overflow {
		width, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		t.Errorf("page is %d px wide in a 390 px viewport: it scrolls sideways", width)
	}

	answers := []struct{ code, value string }{{"A1", "5"}, {"A2", "4"}, {"B1", "3"}, {"C1", "5"}, {"E0", "4"}}
	for _, a := range answers {
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`input[name="`+a.code+`"][value="`+a.value+`"]`))); err != nil {
			t.Fatalf("tap %s=%s: %v", a.code, a.value, err)
		}
	}
	// Changing one's mind is fine: the last tap counts.
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`input[name="A2"][value="2"]`))); err != nil {
		t.Fatal(err)
	}
	checked, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('input[type=radio]:checked').length`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := checked, len(answers); got != want {
		t.Errorf("%d radios checked, want %d", got, want)
	}

	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID("comment"), comment)); err != nil {
		t.Fatalf("type the comment: %v", err)
	}
	typed, err := chromedp.Run(tab, chromedp.Value(chromedp.ID("comment")))
	if err != nil {
		t.Fatal(err)
	}
	if typed != comment {
		t.Errorf("textarea holds %q, want %q", typed, comment)
	}

	resp, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if got, want := resp.Status, int64(200); got != want {
		t.Errorf("thanks page status = %d, want %d", got, want)
	}
	if !strings.HasSuffix(resp.URL, "/thanks") {
		t.Errorf("after submitting the browser is at %q, want /thanks", resp.URL)
	}
	thanks, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := thanks, "Cảm ơn Ông/Bà đã đánh giá"; got != want {
		t.Errorf("thanks page h1 = %q, want %q", got, want)
	}

	got := storetest.Responses(t, st)
	if len(got) != 1 {
		t.Fatalf("%d responses stored, want exactly 1", len(got))
	}
	if got, want := got[0].Answers, "A1:5 A2:2 B1:3 C1:5 E0:4"; got != want {
		t.Errorf("stored answers = %q, want %q", got, want)
	}
	if got, want := got[0].Comment, comment; got != want {
		t.Errorf("stored comment = %q, want %q", got, want)
	}
	if got, want := got[0].Source, "web"; got != want {
		t.Errorf("source = %q, want %q", got, want)
	}

	// Back and submit again: the first answer is kept and the page says so.
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	used, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := used, "Phiếu này đã được gửi trước đó"; got != want {
		t.Errorf("reopened survey h1 = %q, want %q", got, want)
	}
	if n := len(storetest.Responses(t, st)); n != 1 {
		t.Errorf("%d responses stored after reopening, want 1", n)
	}
	checkNoSecrets(t, srv.Logs.String(), string(tok), comment)
}
