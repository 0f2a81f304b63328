package auth

import (
	"fmt"
	"slices"
)

// Role is what an official may do.
type Role string

// The roles of GLOSSARY.md: administrator, analyst and agency leader.
const (
	RoleAdmin   Role = "admin"   // everything, including users, keys and data
	RoleAnalyst Role = "analyst" // every report and download; no user, key or data management
	RoleAgency  Role = "agency"  // reports and downloads of its own agency only
)

// Roles is the one list of roles, least privileged first (the officials' forms offer them in
// this order). A new role is a constant, a line here, its line in grants (and in Scope if it
// may not see every agency), and a "role.<name>" key in each catalogue of assets/i18n.
var Roles = []Role{RoleAnalyst, RoleAgency, RoleAdmin}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return "", fmt.Errorf("auth: role %q must be one of %v", s, Roles)
}

// Official is a signed-in user of /admin/.
type Official struct {
	ID         int64
	Email      string
	Name       string
	Role       Role
	AgencyID   int64  // RoleAgency only
	AgencyCode string // RoleAgency only
	Disabled   bool
	TwoFactor  bool // a TOTP second factor is enrolled: sign-in asks for its code
}

// Permission is one thing an official may be allowed to do.
type Permission string

// Permissions checked by the web layer.
const (
	PermViewReports   Permission = "view_reports" // dashboard, downloads (scoped for agency users)
	PermModerate      Permission = "moderate"     // hide and show comments
	PermManageData    Permission = "manage_data"  // agencies, populations, aggregates, surveys, kiosks, sheets
	PermManageUsers   Permission = "manage_users" // officials
	PermManageKeys    Permission = "manage_keys"  // API keys and token secrets
	PermReadAudit     Permission = "read_audit"   // the audit log
	PermViewAllAgency Permission = "all_agencies" // data of every agency
	PermExportRaw     Permission = "export_raw"   // raw responses download
	// PermManageWebhooks: webhook endpoints, and publishing a year's report (which they announce).
	PermManageWebhooks Permission = "manage_webhooks"
)

var grants = map[Role]map[Permission]bool{
	RoleAdmin: {PermViewReports: true, PermModerate: true, PermManageData: true, PermManageUsers: true,
		PermManageKeys: true, PermReadAudit: true, PermViewAllAgency: true, PermExportRaw: true, PermManageWebhooks: true},
	RoleAnalyst: {PermViewReports: true, PermModerate: true, PermViewAllAgency: true, PermExportRaw: true},
	RoleAgency:  {PermViewReports: true, PermExportRaw: true},
}

// Can reports whether the official holds permission p. A disabled official holds none.
func (o Official) Can(p Permission) bool {
	return !o.Disabled && grants[o.Role][p]
}

// Scope is the one rule for agency-scoped officials: it returns the agency a request of o
// that asked for agency asked ("" = every agency) is about. An official who may see every
// agency gets what was asked. Anyone else is confined to their own agency whatever was
// asked, and gets ErrForbidden for another agency asked by name (refused rather than
// silently narrowed, so a shared link never shows a different agency than it names) or when
// they have no agency at all.
func (o Official) Scope(asked string) (string, error) {
	if o.Can(PermViewAllAgency) {
		return asked, nil
	}
	if o.AgencyCode == "" || (asked != "" && asked != o.AgencyCode) {
		return "", ErrForbidden
	}
	return o.AgencyCode, nil
}
