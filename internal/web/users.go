package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/fault"
	"sipas/internal/store"
)

type usersPage struct {
	adminPage
	Users    []auth.Official
	Agencies []store.Agency
	Error    string
}

// handleUsersShow handles "GET /admin/users".
func (s *Server) handleUsersShow(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, "")
}

func (s *Server) renderUsers(c echo.Context, status int, errKey string) error {
	ctx := c.Request().Context()
	users, err := s.store.ListOfficials(ctx)
	if err != nil {
		return err
	}
	agencies, err := s.store.ListAgencies(ctx)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_users.html", usersPage{adminPage: s.newAdminPage(c, "users.title"), Users: users, Agencies: agencies, Error: errKey})
}

// handleUserCreate handles "POST /admin/users".
func (s *Server) handleUserCreate(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil || !strings.Contains(email, "@") || len(email) > auth.MaxEmailBytes {
		return s.renderUsers(c, statusOf(fault.Invalid), "users.invalid")
	}
	pw := c.FormValue("password")
	if err := auth.CheckPasswordStrength(pw); err != nil {
		return s.renderUsers(c, statusOf(fault.Invalid), passwordProblem(err))
	}
	_, err = s.store.CreateOfficial(c.Request().Context(), store.NewOfficial{Email: email, Name: strings.TrimSpace(c.FormValue("name")),
		Role: role, AgencyCode: c.FormValue("agency"), PasswordHash: auth.HashPassword(pw, auth.DefaultArgon2)})
	switch {
	case errors.Is(err, store.ErrExists):
		return s.renderUsers(c, statusOf(fault.Conflict), "users.exists")
	case errors.Is(err, store.ErrNotFound):
		return s.renderUsers(c, statusOf(fault.Invalid), "users.need_agency")
	case err != nil:
		return err
	}
	s.audit(c, "user.create", email+" "+string(role))
	return redirectFlash(c, "/admin/users", "flash.saved")
}

// handleUserUpdate handles "POST /admin/users/:id": role, enable/disable, a new password, or
// (totp=reset) the removal of a lost second factor.
func (s *Server) handleUserUpdate(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return errNoRoute
	}
	if c.FormValue("totp") == "reset" {
		return s.handleUserTOTPReset(c, id)
	}
	var u store.OfficialUpdate
	detail := fmt.Sprintf("official %d:", id)
	if v := c.FormValue("role"); v != "" {
		role, err := auth.ParseRole(v)
		if err != nil {
			return s.renderUsers(c, statusOf(fault.Invalid), "users.invalid")
		}
		agency := c.FormValue("agency")
		u.Role, u.AgencyCode = &role, &agency
		detail += " role=" + v
	}
	if v := c.FormValue("disabled"); v != "" {
		d := v == "1"
		u.Disabled = &d
		detail += " disabled=" + v
	}
	if pw := c.FormValue("password"); pw != "" {
		if err := auth.CheckPasswordStrength(pw); err != nil {
			return s.renderUsers(c, statusOf(fault.Invalid), passwordProblem(err))
		}
		h := auth.HashPassword(pw, auth.DefaultArgon2)
		u.PasswordHash = &h
		detail += " password reset"
	}
	if id == official(c).ID && (u.Disabled != nil || u.Role != nil) {
		return s.renderUsers(c, statusOf(fault.Invalid), "users.not_self")
	}
	if err := s.store.UpdateOfficial(c.Request().Context(), id, u); errors.Is(err, store.ErrNotFound) && u.Role != nil {
		return s.renderUsers(c, statusOf(fault.Invalid), "users.need_agency")
	} else if err != nil {
		return err
	}
	s.audit(c, "user.update", detail)
	return redirectFlash(c, "/admin/users", "flash.saved")
}

// handleUserTOTPReset removes an official's second factor (their phone is lost:
// docs/security.md, "Recovery") and ends their sessions; they sign in with the password alone
// and may enrol again.
func (s *Server) handleUserTOTPReset(c echo.Context, id int64) error {
	ctx := c.Request().Context()
	if err := s.store.DisableTOTP(ctx, id); err != nil {
		return err
	}
	if err := s.store.UpdateOfficial(ctx, id, store.OfficialUpdate{}); err != nil {
		return err
	}
	s.audit(c, "user.totp_reset", fmt.Sprintf("official %d: second factor removed", id))
	return redirectFlash(c, "/admin/users", "flash.saved")
}
