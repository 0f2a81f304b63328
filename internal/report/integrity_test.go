package report

import (
	"context"
	"slices"
	"testing"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/receipt"
)

type fakeIntegrity struct {
	since time.Time
	rows  []receipt.RefusalCount
}

func (f *fakeIntegrity) Refusals(_ context.Context, since time.Time) ([]receipt.RefusalCount, error) {
	f.since = since
	return f.rows, nil
}

func (f *fakeIntegrity) AcceptedSince(context.Context, time.Time) (int64, error) { return 42, nil }

func TestBuildIntegrity(t *testing.T) {
	src := &fakeIntegrity{rows: []receipt.RefusalCount{
		{Day: "2026-03-01", Reason: receipt.RefusalUnknownToken, Count: 3},
		{Day: "2026-03-01", Reason: receipt.RefusalTooLarge, Count: 1},
		{Day: "2026-03-02", Reason: receipt.RefusalUnknownToken, Count: 2},
		{Day: "2026-03-02", Reason: "retired_reason", Count: 9}, // not a column: ignored
	}}
	now := time.Date(2026, 3, 30, 20, 0, 0, 0, time.UTC) // 31 March, 03:00 in Vietnam
	in, err := BuildIntegrity(t.Context(), src, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 2, 0, 0, 0, 0, calendar.Zone); !in.Since.Equal(want) || !src.since.Equal(want) {
		t.Errorf("since %v (asked %v), want %v: %d days up to today in Vietnam", in.Since, src.since, want, IntegrityDays)
	}
	if !slices.Equal(in.Reasons, receipt.RefusalReasons) || in.Accepted != 42 || len(in.Days) != 2 {
		t.Fatalf("integrity %+v", in)
	}
	if got := in.Totals[slices.Index(in.Reasons, receipt.RefusalUnknownToken)]; got != 5 {
		t.Errorf("unknown_token total %d, want 5", got)
	}
	if got := in.Days[0].Counts[slices.Index(in.Reasons, receipt.RefusalTooLarge)]; got != 1 {
		t.Errorf("too_large on day 1: %d, want 1", got)
	}
}
