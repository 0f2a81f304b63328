package calendar

import (
	"testing"
	"time"
)

func TestYearMonthInVietnamTime(t *testing.T) {
	tests := []struct {
		at           time.Time
		wantY, wantM int
	}{
		{time.Date(2024, 12, 31, 16, 59, 59, 0, time.UTC), 2024, 12},
		{time.Date(2024, 12, 31, 17, 0, 0, 0, time.UTC), 2025, 1}, // midnight in Hà Nội (UTC+7)
		{time.Date(2024, 6, 30, 17, 30, 0, 0, time.UTC), 2024, 7},
	}
	for _, tt := range tests {
		y, m := YearMonth(tt.at)
		if y != tt.wantY || m != tt.wantM {
			t.Errorf("YearMonth(%v) = %d-%02d, want %d-%02d", tt.at, y, m, tt.wantY, tt.wantM)
		}
	}
}

func TestDays(t *testing.T) {
	late := time.Date(2025, 12, 31, 17, 30, 0, 0, time.UTC) // 00:30 on 1 January 2026 in Vietnam
	if got, want := Day(late), "2026-01-01"; got != want {
		t.Errorf("Day = %q, want %q", got, want)
	}
	if got, want := DateOnly(late), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("DateOnly = %v, want %v", got, want)
	}
	if got := StartOfDay(late); !got.Equal(time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("StartOfDay = %v", got)
	}
	day, err := ParseDay("2026-01-01")
	if err != nil || !day.Equal(StartOfDay(late)) {
		t.Errorf("ParseDay = %v, %v", day, err)
	}
	if got := DaysBetween(time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC), late); got != 1 {
		t.Errorf("DaysBetween = %d, want 1 (23:00 and 00:30 are on two dates)", got)
	}
	if got := DaysBetween(late, late.Add(-48*time.Hour)); got != -2 {
		t.Errorf("DaysBetween backwards = %d, want -2", got)
	}
}
