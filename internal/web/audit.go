package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/i18n"
	"sipas/internal/store"
)

// audit records an official's action; a failure to audit is logged here, at the edge, and
// does not undo what was done.
func (s *Server) audit(c echo.Context, action, detail string) {
	actor := official(c).Email
	if k, ok := c.Get(ctxAPIKey).(store.APIKey); ok {
		actor = "api:" + k.Name
	}
	if err := s.store.Audit(c.Request().Context(), actor, action, detail); err != nil {
		s.log.Error("audit", "err", err, "action", action)
	}
}

type auditPage struct {
	adminPage
	Entries []auditLine
	Action  string
	Actions []option // of the filter: every action the log holds, in words
}

// auditLine is one entry of the log in the official's language.
type auditLine struct {
	store.AuditEntry
	Event  string // the action in words, or its code when the catalogue has no words for it
	Words  string // the detail with its key=value parts in words
	Actor  string // the actor in words for the service's own actors (cli, system, api:…)
	Native bool   // the catalogue has words for the action
}

// handleAuditShow handles "GET /admin/audit": the newest entries, each event in words.
func (s *Server) handleAuditShow(c echo.Context) error {
	action := c.QueryParam("action")
	ctx := c.Request().Context()
	entries, err := s.store.ListAudit(ctx, action, 500)
	if err != nil {
		return err
	}
	actions, err := s.store.AuditActions(ctx)
	if err != nil {
		return err
	}
	l := s.locale(c)
	p := auditPage{adminPage: s.newAdminPage(c, "audit.title"), Action: action}
	for _, a := range actions {
		p.Actions = append(p.Actions, option{Value: a, Label: auditEvent(l, a), Selected: a == action})
	}
	for _, e := range entries {
		p.Entries = append(p.Entries, auditLine{AuditEntry: e, Event: auditEvent(l, e.Action),
			Native: l.Has("audit.event." + e.Action), Words: auditDetail(l, e.Detail), Actor: auditActor(l, e.Actor)})
	}
	return s.render(c, http.StatusOK, "admin_audit.html", p)
}

// auditEvent says an action in words ("audit.event.<action>"), or gives its code.
func auditEvent(l *i18n.Locale, action string) string {
	if key := "audit.event." + action; l.Has(key) {
		return l.T(key)
	}
	return action
}

// auditActor says who acted: an official's email as it is, the command line, the service
// itself or an API key by name.
func auditActor(l *i18n.Locale, actor string) string {
	switch {
	case actor == "cli" || actor == "system":
		return l.T("audit.actor_" + actor)
	case strings.HasPrefix(actor, "api:"):
		return l.T("audit.actor_api", strings.TrimPrefix(actor, "api:"))
	}
	return actor
}

// auditDetail writes the key=value parts of a detail with their keys in words ("năm: 2026");
// the rest stays as it was recorded.
func auditDetail(l *i18n.Locale, detail string) string {
	parts := strings.Fields(detail)
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if key := "audit.key." + k; ok && l.Has(key) {
			parts[i] = l.T(key) + ": " + v
		}
	}
	return strings.Join(parts, " · ")
}
