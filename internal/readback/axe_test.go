package readback

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAxeFindsViolations: the accessibility check reports a page's real problems and none on
// a clean page, so an "axe 0 violations" assertion elsewhere can fail.
func TestAxeFindsViolations(t *testing.T) {
	pages := map[string]string{
		"/bad":  `<!doctype html><html><head><title>x</title></head><body><main><img src="a.png"><input type="text"></main></body></html>`,
		"/good": `<!doctype html><html lang="vi"><head><title>Trang</title></head><body><main><h1>Chào</h1><label for="a">Tên</label><input id="a" type="text"></main></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(pages[r.URL.Path]))
	}))
	defer srv.Close()
	tab := Browser(t, 30*time.Second)
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/bad")); err != nil {
		t.Fatal(err)
	}
	bad := Axe(t, tab)
	var ids []string
	for _, v := range bad {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"image-alt", "label", "html-has-lang"} {
		if !strings.Contains(strings.Join(ids, " "), want) {
			t.Errorf("violations %v lack %s", ids, want)
		}
	}
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/good")); err != nil {
		t.Fatal(err)
	}
	if good := Axe(t, tab); len(good) != 0 {
		t.Errorf("clean page: %v", good)
	}
}
