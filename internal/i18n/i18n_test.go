package i18n

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"sipas/assets"
)

func TestNumberFormats(t *testing.T) {
	vi, en := NewLocale(Languages[0], nil), NewLocale(Languages[1], nil)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"vi percent", vi.Percent(0.875, 1), "87,5%"},
		{"en percent", en.Percent(0.875, 1), "87.5%"},
		{"vi thousands", vi.Number(1234, 0), "1.234"},
		{"en thousands", en.Number(1234567.25, 2), "1,234,567.25"},
		{"vi negative points", vi.Points(-0.042, 1), "−4,2 điểm phần trăm"},
		{"en positive points", en.Points(0.0921, 1), "+9.2 percentage points"},
		{"zero has no sign", en.Points(-0.00001, 1), "0.0 percentage points"},
		{"vi signed points", vi.SignedPoints(0.042, 1), "+4,2"},
		{"vi date", vi.Date(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)), "25/11/2026"},
		{"en date", en.Date(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)), "2026-11-25"},
		{"date in Vietnam", en.Date(time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)), "2026-11-25"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadRefusesMissingKeys(t *testing.T) {
	fsys := fstest.MapFS{
		"i18n/vi.json": {Data: []byte(`{"a":"A %d","b":"B"}`)},
		"i18n/en.json": {Data: []byte(`{"a":"A %d"}`)},
	}
	if _, err := Load(fsys); err == nil {
		t.Fatal("Load accepted catalogues with different keys")
	}
	fsys["i18n/en.json"] = &fstest.MapFile{Data: []byte(`{"a":"A %s","b":"B"}`)}
	if _, err := Load(fsys); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("Load accepted a message with other verbs: %v", err)
	}
	fsys["i18n/en.json"] = &fstest.MapFile{Data: []byte(`{"a":"A %d","b":"B"}`)}
	c, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("en", "a", 3); got != "A 3" {
		t.Errorf("T = %q", got)
	}
	if got := c.T("fr", "b"); got != "B" {
		t.Errorf("unknown language should fall back to vi, got %q", got)
	}
	for asked, want := range map[string]string{"EN": "en", "en-GB": "en", "vi_VN": "vi", "": "vi", "xx": "vi"} {
		if got := c.Locale(asked).Code; got != want {
			t.Errorf("Locale(%q) = %s, want %s", asked, got, want)
		}
	}
}

// TestVerbs: messages that take the same arguments in another order agree.
func TestVerbs(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want []string
	}{
		{"%s và %d%%", []string{"s", "d"}},
		{"; compared with %[2]d: %[1]s (%[3]s)", []string{"s", "d", "s"}},
		{"%.1f%% · %5d", []string{"f", "d"}},
		{"no verbs", nil},
	} {
		if got := verbs(tt.s); !slices.Equal(got, tt.want) {
			t.Errorf("verbs(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

// TestShippedCatalogues: the catalogues of assets/i18n load for every language of the
// registry, and say every language's own name in its switch label.
func TestShippedCatalogues(t *testing.T) {
	c, err := Load(assets.FS)
	if err != nil {
		t.Fatal(err)
	}
	if Languages[0].Code != Default {
		t.Errorf("the first language of the registry is %s, Default is %s", Languages[0].Code, Default)
	}
	if got := c.Codes(); !slices.Equal(got, []string{"vi", "en"}) {
		t.Errorf("codes %v", got)
	}
	for _, l := range c.Locales() {
		if l.Name == "" || l.Tag == "" || !l.Has("lang.switch_label") {
			t.Errorf("%s: registry line or switch label missing", l.Code)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Hài lòng":                    "hai long",
		"HÀI LÒNG":                    "hai long",
		"Đông Hòa":                    "dong hoa",
		"Cán bộ hướng dẫn tận tình":   "can bo huong dan tan tinh",
		"ho\u0300i":                   "hoi", // decomposed input folds the same
		"Phí, lệ phí = 5.000đ; ổn":    "phi, le phi = 5.000d; on",
		"Nhanh gọn, thái độ niềm nở!": "nhanh gon, thai do niem no!",
		"already plain ascii":         "already plain ascii",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
