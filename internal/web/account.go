package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/fault"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

// The account page, /admin/account, is every official's own: a new password (the current one
// asked first; every other session of theirs ends) and the optional TOTP second factor
// (docs/security.md, V2.7 and V2.8). Each change asks the current password again, checked
// through the sign-in gate and limits, so a stolen session cannot lock its official out.

type accountPage struct {
	adminPage
	Enrol *totpEnrolment // a second factor being enrolled: its QR code, shown once
	Error string
}

// totpEnrolment is what the official's authenticator app enrols from.
type totpEnrolment struct {
	Secret string       // for typing in by hand
	QR     template.URL // a PNG data: URL (the page is its only copy)
}

// handleAccountShow handles "GET /admin/account".
func (s *Server) handleAccountShow(c echo.Context) error {
	return s.renderAccount(c, http.StatusOK, nil, "")
}

func (s *Server) renderAccount(c echo.Context, status int, enrol *totpEnrolment, errKey string) error {
	return s.render(c, status, "admin_account.html", accountPage{adminPage: s.newAdminPage(c, "account.title"), Enrol: enrol, Error: errKey})
}

// passwordProblem is the message key of a password CheckPasswordStrength refused.
func passwordProblem(err error) string {
	switch {
	case errors.Is(err, auth.ErrPasswordCommon):
		return "password.common"
	case errors.Is(err, auth.ErrPasswordLong):
		return "password.long"
	}
	return "users.weak_password"
}

// reauthenticate checks the current password of the signed-in official through the sign-in
// gate and limits, and answers with the account page when it is wrong (handled = true).
func (s *Server) reauthenticate(c echo.Context) (handled bool, err error) {
	o := official(c)
	current := c.FormValue("current")
	if current == "" { // not a guess: nothing to count
		return true, s.renderAccount(c, statusOf(fault.Invalid), nil, "account.wrong_password")
	}
	ok, _, err := s.checkPassword(c, o.Email, current, c.RealIP())
	switch {
	case errors.Is(err, errGateFull):
		return true, s.busy(c)
	case errors.Is(err, store.ErrLoginThrottled):
		return true, s.renderAccount(c, statusOf(fault.RateLimited), nil, "login.throttled")
	case err != nil:
		return true, err
	case !ok:
		s.audit(c, "account.wrong_password", "")
		return true, s.renderAccount(c, statusOf(fault.Invalid), nil, "account.wrong_password")
	}
	return false, nil
}

// handlePasswordChange handles "POST /admin/account/password": the current password, then
// the new one twice. Every other session of the official ends; this one stays.
func (s *Server) handlePasswordChange(c echo.Context) error {
	pw := c.FormValue("password")
	if pw != c.FormValue("confirm") {
		return s.renderAccount(c, statusOf(fault.Invalid), nil, "account.mismatch")
	}
	if err := auth.CheckPasswordStrength(pw); err != nil {
		return s.renderAccount(c, statusOf(fault.Invalid), nil, passwordProblem(err))
	}
	if handled, err := s.reauthenticate(c); handled {
		return err
	}
	keep := auth.HashSecret(s.cookieValue(c, sessionCookie))
	if err := s.store.ChangePassword(c.Request().Context(), official(c).ID, auth.HashPassword(pw, auth.DefaultArgon2), keep); err != nil {
		return err
	}
	s.audit(c, "account.password", "changed; other sessions ended")
	return redirectFlash(c, "/admin/account", "account.password_changed")
}

// handleTOTPStart handles "POST /admin/account/totp": after the current password, a new
// secret, not yet in force, and its QR code.
func (s *Server) handleTOTPStart(c echo.Context) error {
	if handled, err := s.reauthenticate(c); handled {
		return err
	}
	o := official(c)
	secret, err := auth.NewTOTP(o.Email)
	if err != nil {
		return err
	}
	if err := s.store.StartTOTP(c.Request().Context(), o.ID, secret); err != nil {
		return err
	}
	enrol, err := newEnrolment(o.Email, secret)
	if err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusOK, enrol, "")
}

func newEnrolment(account, secret string) (*totpEnrolment, error) {
	u, err := auth.TOTPURL(account, secret)
	if err != nil {
		return nil, err
	}
	png, err := receipt.QRPNG(u, 240)
	if err != nil {
		return nil, err
	}
	return &totpEnrolment{Secret: secret, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}, nil
}

// handleTOTPConfirm handles "POST /admin/account/totp/confirm": a code of the new secret
// turns the second factor on.
func (s *Server) handleTOTPConfirm(c echo.Context) error {
	ctx := c.Request().Context()
	o := official(c)
	st, err := s.store.FindTOTP(ctx, o.ID)
	if err != nil {
		return err
	}
	if st.Secret == "" || st.Enabled {
		return c.Redirect(http.StatusSeeOther, "/admin/account")
	}
	step, ok := auth.VerifyTOTP(st.Secret, c.FormValue("code"), time.Now(), 0)
	if !ok {
		enrol, err := newEnrolment(o.Email, st.Secret)
		if err != nil {
			return err
		}
		return s.renderAccount(c, statusOf(fault.Invalid), enrol, "login.code_failed")
	}
	if err := s.store.EnableTOTP(ctx, o.ID, step); err != nil {
		return err
	}
	s.audit(c, "account.totp_on", "")
	return redirectFlash(c, "/admin/account", "account.totp_on")
}

// handleTOTPDisable handles "POST /admin/account/totp/disable": after the current password,
// the second factor is removed.
func (s *Server) handleTOTPDisable(c echo.Context) error {
	if handled, err := s.reauthenticate(c); handled {
		return err
	}
	if err := s.store.DisableTOTP(c.Request().Context(), official(c).ID); err != nil {
		return err
	}
	s.audit(c, "account.totp_off", "")
	return redirectFlash(c, "/admin/account", "account.totp_off")
}
