package i18n

import (
	"testing"
	"testing/fstest"
	"time"
)

func TestNumberFormats(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"vi percent", Percent("vi", 0.875, 1), "87,5%"},
		{"en percent", Percent("en", 0.875, 1), "87.5%"},
		{"vi thousands", Number("vi", 1234, 0), "1.234"},
		{"en thousands", Number("en", 1234567.25, 2), "1,234,567.25"},
		{"vi negative points", Points("vi", -0.042, 1), "−4,2 điểm %"},
		{"en positive points", Points("en", 0.0921, 1), "+9.2 pp"},
		{"zero has no sign", Points("en", -0.00001, 1), "0.0 pp"},
		{"vi date", Date("vi", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)), "25/11/2026"},
		{"en date", Date("en", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)), "2026-11-25"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadRefusesMissingKeys(t *testing.T) {
	fsys := fstest.MapFS{
		"i18n/vi.json": {Data: []byte(`{"a":"A","b":"B"}`)},
		"i18n/en.json": {Data: []byte(`{"a":"A"}`)},
	}
	if _, err := Load(fsys); err == nil {
		t.Fatal("Load accepted catalogues with different keys")
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
}
