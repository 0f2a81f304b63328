package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"sipas/internal/auth"
)

// routes lists every route of the service, grouped by audience: this file is the one place
// to see what answers where, and behind which middleware.
func (s *Server) routes() {
	s.middleware(s.e)
	s.citizenRoutes(s.e)
	s.kioskRoutes(s.e)
	s.apiRoutes(s.e)
	s.adminRoutes(s.e)
}

// middleware is what every request goes through, in this order (STYLE.md §6).
func (s *Server) middleware(e *echo.Echo) {
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{
		Skipper: func(c echo.Context) bool { return c.Request().URL.Path == "/admin/" },
	}))
	e.Use(abortCommitted) // middleware.go: outermost, so the request is logged before the cut
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(s.requestLogger())
	e.Use(s.observe) // metrics.go: counts every request with the status actually sent
	if len(s.cfg.TrustedProxies) == 0 {
		e.Use(s.warnUntrustedXFF)
	}
	e.Use(s.secureHeaders)
	e.Use(s.bodyLimit()) // uploads.go: uploads large and streamed, forms read within the limit
	cfg := gzipConfig
	// A submission is answered with a redirect; readying a gzip writer for every one cost a
	// sixth of the write path's CPU. A refused one is compressed by handleError (gzipLater).
	cfg.Skipper = isSubmission
	e.Use(middleware.GzipWithConfig(cfg))
}

// gzipConfig is how pages are compressed.
var gzipConfig = middleware.GzipConfig{Level: 5, MinLength: 1024}

func isSubmission(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/s/:token"
}

// gzipLater compresses an answer written by write on a route the gzip middleware skipped: a
// refused submission, which is the whole form again.
var gzipLater = middleware.GzipWithConfig(gzipConfig)

// citizenRoutes are the citizens' survey, and the service's own endpoints.
func (s *Server) citizenRoutes(e *echo.Echo) {
	e.GET("/", s.handleHome)
	e.GET("/admin", s.handleHome)
	e.GET("/healthz", s.handleHealth)
	e.GET("/metrics", s.handleMetrics, s.requireAPIKey, requireScope(auth.ScopeMetrics))
	e.GET("/static/*", s.handleStatic)

	// Citizens: the survey of one receipt. /S/… from uppercase QR codes is folded in ServeHTTP.
	e.GET("/s/:token", s.handleSurveyShow)
	e.POST("/s/:token", s.handleSurveySubmit) // never rate-limited: refusals are (limits.go)
	e.GET("/thanks", s.handleThanks)
}

// kioskRoutes are the counter tablets' (kiosk.go). Enrolment and the service worker need no
// device credential; everything else needs an enrolled, unrevoked kiosk's cookie.
func (s *Server) kioskRoutes(e *echo.Echo) {
	e.GET("/kiosk/enrol", s.handleKioskEnrolShow)
	e.POST("/kiosk/enrol", s.handleKioskEnrol, s.requireSameOrigin) // no cookie yet to be SameSite
	e.GET("/kiosk/sw.js", s.handleKioskServiceWorker)
	k := e.Group("/kiosk", s.requireKiosk)
	k.GET("", s.handleKioskStart)
	k.POST("/start", s.handleKioskBegin)
	k.POST("/submit", s.handleKioskSubmit)
	k.GET("/done", s.handleKioskDone)
	k.POST("/api/check", s.handleKioskCheck)
	k.POST("/api/submit", s.handleKioskAPISubmit)
}

// apiRoutes are the machines': JSON only, an API key (or, for reports, an official's session).
func (s *Server) apiRoutes(e *echo.Echo) {
	api := e.Group("/api/v1")
	api.GET("/openapi.json", s.handleOpenAPI) // the contract of every route below (openapi.go)
	api.POST("/receipts", s.handleReceiptCreate, s.requireAPIKey)
	api.GET("/receipts/:token/qr.png", s.handleReceiptQRPNG)
	api.GET("/receipts/:token/qr.svg", s.handleReceiptQRSVG)
	api.GET("/reports/index", s.handleReportIndex, s.requireReader)
	api.GET("/responses", s.handleResponsesExport, s.requireReader)
	api.POST("/sheets", s.handleSheetsAPI, s.requireAPIKey)
	api.POST("/minted", s.handleMintedReport, s.requireAPIKey)
}

// adminRoutes are the officials' pages: sessions, roles, CSRF on every form.
func (s *Server) adminRoutes(e *echo.Echo) {
	admin := e.Group("/admin", s.csrf())
	admin.GET("/login", s.handleLoginShow)
	admin.POST("/login", s.handleLoginSubmit)
	admin.GET("/login/code", s.handleLoginCodeShow)
	admin.POST("/login/code", s.handleLoginCode)
	in := admin.Group("", s.requireOfficial)
	in.POST("/logout", s.handleLogout)
	in.GET("/docs/:name", s.handleDoc)
	in.GET("/account", s.handleAccountShow)
	in.POST("/account/password", s.handlePasswordChange)
	in.POST("/account/totp", s.handleTOTPStart)
	in.POST("/account/totp/confirm", s.handleTOTPConfirm)
	in.POST("/account/totp/disable", s.handleTOTPDisable)
	reader := in.Group("", can(auth.PermViewReports))
	reader.GET("/", s.handleDashboard)
	reader.GET("/comments", s.handleCommentsShow)
	reader.GET("/sample-size", s.handleSampleSize)
	reader.GET("/communes", s.handleCommunes)
	in.POST("/comments/:id", s.handleCommentModerate, can(auth.PermModerate))
	data := in.Group("", can(auth.PermManageData))
	for _, kind := range []string{"agencies", "populations", "responses", "aggregates", "crosswalk"} {
		data.GET("/"+kind, s.handleDataShow(kind))
		data.POST("/"+kind+"/upload", s.handleDataUpload(kind))
	}
	data.POST("/agencies/:code", s.handleAgencyUpdate)
	data.GET("/surveys", s.handleSurveysShow)
	data.GET("/surveys/:id/download", s.handleSurveyDownload)
	data.POST("/surveys/upload", s.handleSurveyUpload)
	data.GET("/kiosks", s.handleKiosksShow)
	data.POST("/kiosks", s.handleKioskCreate)
	data.POST("/kiosks/:id/enrol", s.handleKioskRenew)
	data.POST("/kiosks/:id/revoke", s.handleKioskRevoke)
	data.GET("/sheets", s.handleSheetsShow)
	data.POST("/sheets", s.handleSheetsCreate)
	users := in.Group("/users", can(auth.PermManageUsers))
	users.GET("", s.handleUsersShow)
	users.POST("", s.handleUserCreate)
	users.POST("/:id", s.handleUserUpdate)
	keys := in.Group("/keys", can(auth.PermManageKeys))
	keys.GET("", s.handleKeysShow)
	keys.POST("", s.handleKeyCreate)
	keys.POST("/:id/revoke", s.handleKeyRevoke)
	secrets := in.Group("/secrets", can(auth.PermManageKeys))
	secrets.GET("", s.handleSecretsShow)
	secrets.POST("", s.handleSecretCreate)
	secrets.POST("/:id/revoke", s.handleSecretRevoke)
	hooks := in.Group("/webhooks", can(auth.PermManageWebhooks)) // webhooks.go
	hooks.GET("", s.handleWebhooksShow)
	hooks.POST("", s.handleWebhookCreate)
	hooks.POST("/publish", s.handleReportPublish)
	hooks.GET("/:id", s.handleWebhookShow)
	hooks.POST("/:id/rotate", s.handleWebhookRotate)
	for _, action := range []string{"enable", "disable", "delete"} {
		hooks.POST("/:id/"+action, s.handleWebhookAction(action))
	}
	hooks.POST("/:id/deliveries/:delivery/redeliver", s.handleWebhookRedeliver)
	in.GET("/audit", s.handleAuditShow, can(auth.PermReadAudit))
	in.GET("/integrity", s.handleIntegrity, can(auth.PermViewAllAgency))
}

func (s *Server) handleHome(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/admin/")
}
