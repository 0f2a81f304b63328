package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthReply is the JSON of GET /healthz (docs/api.md).
type healthReply struct {
	Status    string       `json:"status"` // ok | failing | damaged
	Writes    healthWrites `json:"writes"`
	FreeBytes int64        `json:"free_bytes"` // -1: unknown
	WALBytes  int64        `json:"wal_bytes"`
}

type healthWrites struct {
	OK           bool       `json:"ok"`
	LastCommit   *time.Time `json:"last_commit"`
	LastFailure  *time.Time `json:"last_failure"`
	Reason       string     `json:"reason,omitempty"` // of the last failure: disk_full, io_error, busy, …
	FailingSince *time.Time `json:"failing_since"`
}

// handleHealth handles "GET /healthz": 200 while the database answers and takes writes, 503
// (with Retry-After) while writes fail, so that a monitor sees a full disk before citizens
// do, and 500 once the check at start found the database damaged. The figures (free space,
// WAL size) are for the operator's dashboard.
func (s *Server) handleHealth(c echo.Context) error {
	ctx := c.Request().Context()
	if err := s.store.Ping(ctx); err != nil {
		return err
	}
	h := s.store.Health(ctx)
	rep := healthReply{Status: "ok", FreeBytes: h.FreeBytes, WALBytes: h.WALBytes, Writes: healthWrites{
		OK: h.Writing, LastCommit: timeOrNil(h.LastOK), LastFailure: timeOrNil(h.LastFailure),
		Reason: h.Reason, FailingSince: timeOrNil(h.FailingSince),
	}}
	status := http.StatusOK
	switch {
	case h.Damaged:
		rep.Status, status = "damaged", http.StatusInternalServerError
	case !h.Writing:
		rep.Status, status = "failing", http.StatusServiceUnavailable
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(status, rep)
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
