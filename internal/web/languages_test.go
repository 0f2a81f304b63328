package web

import (
	"bytes"
	"encoding/json"
	"html"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xuri/excelize/v2"

	"sipas/assets"
	"sipas/internal/i18n"
	"sipas/internal/readback"
	"sipas/internal/store/storetest"
)

// toy is a third language that exists only in this test: a line of the registry, and a
// catalogue (every English text behind the marker "zz~") in a MapFS laid over the assets.
var toy = i18n.Language{Code: "zz", Name: "Zedish", Tag: "zz-ZZ", Decimal: "'", Thousands: "_",
	Date: "2006.01.02", Percent: "%s pct", Points: "%s zpt"}

// toyPercent matches a percentage written the toy way: "83'5 pct".
var toyPercent = regexp.MustCompile(`\d+'\d pct`)

// overlay is a file system whose files in top replace or add to base's.
type overlay struct {
	base fs.FS
	top  fstest.MapFS
}

func (o overlay) Open(name string) (fs.File, error) {
	if _, ok := o.top[name]; ok {
		return o.top.Open(name)
	}
	return o.base.Open(name)
}

// toyAssets are the embedded assets with the toy language's catalogue.
func toyAssets(t *testing.T) fs.FS {
	t.Helper()
	data, err := fs.ReadFile(assets.FS, "i18n/en.json")
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]string{}
	if err := json.Unmarshal(data, &msgs); err != nil {
		t.Fatal(err)
	}
	for k, v := range msgs {
		msgs[k] = "zz~" + v
	}
	out, err := json.Marshal(msgs)
	if err != nil {
		t.Fatal(err)
	}
	return overlay{base: assets.FS, top: fstest.MapFS{"i18n/zz.json": {Data: out}}}
}

// TestToyLanguageOnEverySurface adds a language in the test alone (a catalogue file and a
// registry line, nothing else) and finds its words, and its number format where numbers are
// written for people, on every surface: a citizen page, an admin page, the CSV, XLSX and PDF
// of a report, a sticker sheet and the kiosk.
func TestToyLanguageOnEverySurface(t *testing.T) {
	cfg := Config{Assets: toyAssets(t), Languages: append(append([]i18n.Language{}, i18n.Languages...), toy)}
	e := newAdminEnvConfig(t, cfg)
	admin := e.sessions["admin"]
	y := strconv.Itoa(e.year)
	words := func(t *testing.T, what, text string) {
		t.Helper()
		if !strings.Contains(text, "zz~") {
			t.Errorf("%s has no word of the toy language\n%.1500s", what, text)
		}
	}
	numbers := func(t *testing.T, what, text string) {
		t.Helper()
		if !toyPercent.MatchString(text) {
			t.Errorf("%s has no percentage in the toy format (83'5 pct)\n%.1500s", what, text)
		}
	}

	t.Run("citizen page", func(t *testing.T) {
		tok := storetest.MustCreateReceipt(t, e.st, ownAgency)
		e.secret(string(tok))
		rec := e.do(t, http.MethodGet, "/s/"+string(tok)+"?lang=zz", "", nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, `<html lang="zz">`) {
			t.Fatalf("status %d, want the page in zz", rec.Code)
		}
		words(t, "the survey page", body)
		if !strings.Contains(body, `action="/s/`+string(tok)+`?lang=zz"`) {
			t.Error("the form does not keep the language")
		}
		if !strings.Contains(body, `hreflang="vi"`) || !strings.Contains(body, `hreflang="en"`) {
			t.Error("the language switch does not offer both other languages")
		}
	})

	t.Run("admin page", func(t *testing.T) {
		rec := e.get(t, "/admin/?lang=zz&year="+y+"&baseline=2023", admin)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		words(t, "the dashboard", rec.Body.String())
		numbers(t, "the dashboard", html.UnescapeString(rec.Body.String())) // ' is written &#39;
	})

	report := func(t *testing.T, format string) *http.Response {
		t.Helper()
		rec := e.get(t, "/api/v1/reports/index?lang=zz&year="+y+"&baseline=2023&format="+format, admin)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d\n%.500s", format, rec.Code, rec.Body.String())
		}
		if got := rec.Header().Get("Content-Language"); got != toy.Tag {
			t.Errorf("%s: Content-Language %q, want %q", format, got, toy.Tag)
		}
		return rec.Result()
	}
	t.Run("csv", func(t *testing.T) {
		// A machine format: the toy language changes its Content-Language, not its numbers.
		res := report(t, "csv")
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		if !strings.Contains(b.String(), "index,kind,aspect,basis") || toyPercent.MatchString(b.String()) {
			t.Errorf("the CSV is not the machine format\n%.300s", b.String())
		}
	})
	t.Run("xlsx", func(t *testing.T) {
		f, err := excelize.OpenReader(report(t, "xlsx").Body)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		var text strings.Builder
		for _, sh := range sheets {
			if !strings.HasPrefix(sh, "zz~") {
				t.Errorf("sheet %q is not named in the toy language", sh)
			}
			rows, _ := f.GetRows(sh)
			for _, r := range rows {
				text.WriteString(strings.Join(r, " ") + "\n")
			}
		}
		words(t, "the XLSX", text.String())
		numbers(t, "the XLSX's summary sentence", text.String())
	})
	t.Run("pdf", func(t *testing.T) {
		var b bytes.Buffer
		b.ReadFrom(report(t, "pdf").Body)
		text := readback.PDFText(t, b.Bytes())
		words(t, "the PDF", text)
		numbers(t, "the PDF", text)
	})

	t.Run("sticker sheet", func(t *testing.T) {
		key, _ := e.apiKey(t)
		rec := e.do(t, http.MethodPost, "/api/v1/sheets", `{"agency":"`+ownAgency+`","count":1,"lang":"zz"}`,
			map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"})
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d\n%.300s", rec.Code, rec.Body.String())
		}
		words(t, "the sticker sheet", readback.PDFText(t, rec.Body.Bytes()))
	})

	t.Run("kiosk", func(t *testing.T) {
		storetest.MustCreateAgency(t, e.st, testAgency, testAgencyName, "province")
		k := &kioskEnv{testServer: e.testServer, clock: e.clock}
		_, dev := k.enrol(t, true)
		rec := k.kiosk(t, http.MethodGet, "/kiosk?lang=zz", "", "", dev)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		words(t, "the kiosk", rec.Body.String())
		if !strings.Contains(rec.Body.String(), `data-default-lang="vi"`) {
			t.Error("the kiosk does not know to return to the default language")
		}
	})
}
