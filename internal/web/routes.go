package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes lists every route, grouped by audience.
func (s *Server) routes() {
	e := s.e
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{
		Skipper: func(c echo.Context) bool { return c.Request().URL.Path == "/admin/" },
	}))
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(s.requestLogger())
	e.Use(secureHeaders)
	e.Use(middleware.BodyLimit(byteSize(s.cfg.BodyLimit)))
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024}))

	e.GET("/", s.handleHome)
	e.GET("/healthz", s.handleHealth)
	e.GET("/static/*", s.handleStatic)

	// Citizens: the survey of one receipt. /S/… from uppercase QR codes is folded in ServeHTTP.
	e.GET("/s/:token", s.handleSurveyShow)
	e.POST("/s/:token", s.handleSurveySubmit)
	e.GET("/thanks", s.handleThanks)

	// Machines: JSON only, API key.
	api := e.Group("/api/v1")
	api.POST("/receipts", s.handleReceiptCreate, s.requireAPIKey)
	api.GET("/receipts/:token/qr.png", s.handleReceiptQRPNG)
	api.GET("/receipts/:token/qr.svg", s.handleReceiptQRSVG)

	e.RouteNotFound("/*", func(c echo.Context) error { return errNoRoute })
	e.RouteNotFound("/api/*", func(c echo.Context) error { return errNoRoute })
}

func (s *Server) handleHome(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/admin/")
}

func (s *Server) handleHealth(c echo.Context) error {
	if err := s.store.Ping(c.Request().Context()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
