package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/calendar"
	"sipas/internal/receipt"
)

type integrityDay struct {
	Day    string
	Counts []int64
}

type integrityPage struct {
	adminPage
	Reasons  []string
	Days     []integrityDay
	Totals   []int64
	Accepted int64
	Since    time.Time
}

// handleIntegrity handles "GET /admin/integrity": the last 30 days of refused attempts by
// reason beside the accepted ones, so officials can see whether anyone tries to stuff the index.
func (s *Server) handleIntegrity(c echo.Context) error {
	ctx := c.Request().Context()
	since := calendar.StartOfDay(time.Now().AddDate(0, 0, -29))
	counts, err := s.store.Refusals(ctx, since)
	if err != nil {
		return err
	}
	accepted, err := s.store.AcceptedSince(ctx, since)
	if err != nil {
		return err
	}
	p := integrityPage{adminPage: s.newAdminPage(c, "integrity.title"), Reasons: receipt.RefusalReasons,
		Totals: make([]int64, len(receipt.RefusalReasons)), Accepted: accepted, Since: since}
	col := map[string]int{}
	for i, r := range receipt.RefusalReasons {
		col[r] = i
	}
	for _, rc := range counts {
		if len(p.Days) == 0 || p.Days[len(p.Days)-1].Day != rc.Day {
			p.Days = append(p.Days, integrityDay{Day: rc.Day, Counts: make([]int64, len(receipt.RefusalReasons))})
		}
		if i, ok := col[rc.Reason]; ok {
			p.Days[len(p.Days)-1].Counts[i] += rc.Count
			p.Totals[i] += rc.Count
		}
	}
	return s.render(c, http.StatusOK, "admin_integrity.html", p)
}
