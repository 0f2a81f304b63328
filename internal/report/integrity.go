package report

import (
	"context"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/receipt"
)

// IntegrityDays is how many days /admin/integrity covers, today included.
const IntegrityDays = 30

// IntegritySource is what the integrity table reads; *store.Store is one.
type IntegritySource interface {
	// Refusals returns the refusal counts of every day from since's day on, by day and reason.
	Refusals(ctx context.Context, since time.Time) ([]receipt.RefusalCount, error)
	// AcceptedSince counts the responses citizens submitted since t.
	AcceptedSince(ctx context.Context, t time.Time) (int64, error)
}

// Integrity is the refused citizen attempts of the last IntegrityDays days by day and reason
// (the columns, receipt.RefusalReasons), beside the responses accepted, so officials can see
// whether anyone tries to stuff the index.
type Integrity struct {
	Since    time.Time // 00:00 in Vietnam of the first day
	Reasons  []string
	Days     []IntegrityDay
	Totals   []int64 // per reason
	Accepted int64
}

// IntegrityDay is one day's refusals, per reason in the order of Integrity.Reasons.
type IntegrityDay struct {
	Day    string
	Counts []int64
}

// BuildIntegrity reads and tabulates the refusals of the last IntegrityDays days up to now.
func BuildIntegrity(ctx context.Context, src IntegritySource, now time.Time) (*Integrity, error) {
	since := calendar.StartOfDay(now.AddDate(0, 0, -(IntegrityDays - 1)))
	counts, err := src.Refusals(ctx, since)
	if err != nil {
		return nil, err
	}
	accepted, err := src.AcceptedSince(ctx, since)
	if err != nil {
		return nil, err
	}
	reasons := receipt.RefusalReasons
	in := &Integrity{Since: since, Reasons: reasons, Totals: make([]int64, len(reasons)), Accepted: accepted}
	col := map[string]int{}
	for i, r := range reasons {
		col[r] = i
	}
	for _, rc := range counts {
		if len(in.Days) == 0 || in.Days[len(in.Days)-1].Day != rc.Day {
			in.Days = append(in.Days, IntegrityDay{Day: rc.Day, Counts: make([]int64, len(reasons))})
		}
		if i, ok := col[rc.Reason]; ok {
			in.Days[len(in.Days)-1].Counts[i] += rc.Count
			in.Totals[i] += rc.Count
		}
	}
	return in, nil
}
