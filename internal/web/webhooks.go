package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/calendar"
	"sipas/internal/store"
	"sipas/internal/webhook"
)

// Webhooks at /admin/webhooks: endpoints, their delivery logs, and the publication of a
// year's report (which sends report.published). A secret is shown on the one response that
// creates (or rotates) it, and never again.

// rotationOverlap is how long the previous secret still signs beside a new one.
const rotationOverlap = 24 * time.Hour

type webhooksPage struct {
	adminPage
	Endpoints    []store.WebhookEndpoint
	Events       []string
	Publications []store.ReportPublication
	Years        []int
	NewSecret    string
	NewID        int64
	Error        string
}

type webhookPage struct {
	adminPage
	Endpoint   store.WebhookEndpoint
	Deliveries []store.WebhookDelivery
	NewSecret  string
}

// webhooksPage is the list page; status and np carry a new endpoint's secret or an error.
func (s *Server) webhooksPage(c echo.Context, status int, np webhooksPage) error {
	ctx := c.Request().Context()
	var err error
	if np.Endpoints, err = s.store.ListWebhookEndpoints(ctx); err != nil {
		return err
	}
	if np.Publications, err = s.store.ListReportPublications(ctx, 20); err != nil {
		return err
	}
	np.adminPage, np.Events = s.newAdminPage(c, "webhooks.title"), webhook.Events
	for y := calendar.ThisYear(); y >= calendar.ThisYear()-5; y-- {
		np.Years = append(np.Years, y)
	}
	return s.render(c, status, "admin_webhooks.html", np)
}

// handleWebhooksShow handles "GET /admin/webhooks".
func (s *Server) handleWebhooksShow(c echo.Context) error {
	return s.webhooksPage(c, http.StatusOK, webhooksPage{})
}

// handleWebhookCreate handles "POST /admin/webhooks": the new secret is shown on this
// response only.
func (s *Server) handleWebhookCreate(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return errBadRequest("bad_request")
	}
	u := strings.TrimSpace(form.Get("url"))
	events, err := webhook.CheckEndpoint(u, form["events"])
	if err != nil {
		key := "webhooks.bad_url"
		if errors.Is(err, webhook.ErrNoEvents) {
			key = "webhooks.no_events"
		}
		return s.webhooksPage(c, http.StatusUnprocessableEntity, webhooksPage{Error: s.msgs.T(s.lang(c), key)})
	}
	secret := webhook.NewSecret()
	id, err := s.store.CreateWebhookEndpoint(c.Request().Context(), store.NewWebhookEndpoint{URL: u,
		Description: strings.TrimSpace(form.Get("description")), Events: events, WithComments: form.Get("comments") == "1"},
		func(id int64) []byte { return s.cfg.Webhooks.Seal(id, secret) })
	if err != nil {
		return err
	}
	s.audit(c, "webhook.create", fmt.Sprintf("endpoint %d %s events=%s comments=%v", id, redactURL(u), strings.Join(events, ","), form.Get("comments") == "1"))
	return s.webhooksPage(c, http.StatusCreated, webhooksPage{NewSecret: secret, NewID: id})
}

// redactURL is u without its query and user info, which may hold the receiver's credentials.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}

// webhookID is the :id of an endpoint route; a malformed one is no page.
func webhookID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil {
		return 0, errNoRoute
	}
	return id, nil
}

// webhookPage renders one endpoint with its delivery log.
func (s *Server) webhookPage(c echo.Context, status int, id int64, secret string) error {
	ctx := c.Request().Context()
	ep, err := s.store.FindWebhookEndpoint(ctx, id)
	if err != nil {
		return err
	}
	list, err := s.store.ListWebhookDeliveries(ctx, id, 100)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_webhook.html", webhookPage{adminPage: s.newAdminPage(c, "webhooks.endpoint"),
		Endpoint: ep, Deliveries: list, NewSecret: secret})
}

// handleWebhookShow handles "GET /admin/webhooks/:id": the endpoint and its delivery log.
func (s *Server) handleWebhookShow(c echo.Context) error {
	id, err := webhookID(c, "id")
	if err != nil {
		return err
	}
	return s.webhookPage(c, http.StatusOK, id, "")
}

// handleWebhookRotate handles "POST /admin/webhooks/:id/rotate": a new secret, shown once;
// the previous one signs beside it for rotationOverlap.
func (s *Server) handleWebhookRotate(c echo.Context) error {
	id, err := webhookID(c, "id")
	if err != nil {
		return err
	}
	secret := webhook.NewSecret()
	if err := s.store.RotateWebhookSecret(c.Request().Context(), id, func(id int64) []byte { return s.cfg.Webhooks.Seal(id, secret) },
		rotationOverlap); err != nil {
		return err
	}
	s.audit(c, "webhook.rotate", fmt.Sprintf("endpoint %d", id))
	return s.webhookPage(c, http.StatusOK, id, secret)
}

// handleWebhookAction handles "POST /admin/webhooks/:id/{enable,disable,delete}".
func (s *Server) handleWebhookAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := webhookID(c, "id")
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		switch action {
		case "enable", "disable":
			err = s.store.SetWebhookEndpointEnabled(ctx, id, action == "enable", "disabled by "+official(c).Email)
		case "delete":
			err = s.store.DeleteWebhookEndpoint(ctx, id)
		}
		if err != nil {
			return err
		}
		s.audit(c, "webhook."+action, fmt.Sprintf("endpoint %d", id))
		if action == "delete" {
			return redirectFlash(c, "/admin/webhooks", "flash.saved")
		}
		return redirectFlash(c, "/admin/webhooks/"+strconv.FormatInt(id, 10), "flash.saved")
	}
}

// handleWebhookRedeliver handles "POST /admin/webhooks/:id/deliveries/:delivery/redeliver":
// the same message (id and body) again, at once, with a new 24-hour retry window.
func (s *Server) handleWebhookRedeliver(c echo.Context) error {
	id, err := webhookID(c, "id")
	if err != nil {
		return err
	}
	delivery, err := webhookID(c, "delivery")
	if err != nil {
		return err
	}
	if err := s.store.RedeliverWebhook(c.Request().Context(), id, delivery); err != nil {
		return err
	}
	s.audit(c, "webhook.redeliver", fmt.Sprintf("endpoint %d delivery %d", id, delivery))
	return redirectFlash(c, "/admin/webhooks/"+strconv.FormatInt(id, 10), "flash.saved")
}

// handleReportPublish handles "POST /admin/webhooks/publish": an admin publishes the report
// of a year (against a baseline or none), which sends report.published to its subscribers.
func (s *Server) handleReportPublish(c echo.Context) error {
	year, err := strconv.Atoi(c.FormValue("year"))
	if err != nil || year < 2000 || year > calendar.ThisYear() {
		return s.webhooksPage(c, http.StatusUnprocessableEntity, webhooksPage{Error: s.msgs.T(s.lang(c), "webhooks.bad_year")})
	}
	q, err := s.questionnaire(c.FormValue("survey"))
	if err != nil {
		return err
	}
	p := store.ReportPublication{Survey: q.ID, Year: year, PublishedBy: official(c).Email}
	v := url.Values{"survey": {q.ID}, "year": {strconv.Itoa(year)}}
	if b, err := strconv.Atoi(c.FormValue("baseline")); err == nil && b < year {
		p.Baseline = &b
		v.Set("baseline", strconv.Itoa(b))
	}
	if err := s.store.PublishReport(c.Request().Context(), p, s.cfg.BaseURL+"/api/v1/reports/index?"+v.Encode()); err != nil {
		return err
	}
	s.audit(c, "report.publish", v.Encode())
	return redirectFlash(c, "/admin/webhooks", "flash.saved")
}
