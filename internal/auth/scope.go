package auth

import (
	"fmt"
	"slices"
	"strings"
)

// ScopeKind is one thing an API key may be allowed to do.
type ScopeKind string

// The kinds of scope. A new kind is a constant here, a line in ScopeKinds, and the check at
// the route that needs it (docs/security.md lists where each is checked).
const (
	// ScopeIssue: issue receipts (POST /api/v1/receipts), sticker sheets (POST /api/v1/sheets)
	// and report minted counts (POST /api/v1/minted) for an agency.
	ScopeIssue ScopeKind = "issue"
	// ScopeReports: read index reports (GET /api/v1/reports/index) of an agency, or of all.
	ScopeReports ScopeKind = "reports"
	// ScopeAnswers: read raw answers with their comments (GET /api/v1/responses).
	ScopeAnswers ScopeKind = "answers"
	// ScopeMetrics: read GET /metrics. It names no agency.
	ScopeMetrics ScopeKind = "metrics"
)

// ScopeKinds lists every kind, in the order forms and docs show them.
var ScopeKinds = []ScopeKind{ScopeIssue, ScopeReports, ScopeAnswers, ScopeMetrics}

// AllAgencies is the agency of a scope that covers every agency ("reports:*").
const AllAgencies = "*"

// Scope is one grant of an API key: a kind, and for every kind but metrics the agency code it
// covers, or AllAgencies.
type Scope struct {
	Kind   ScopeKind
	Agency string
}

// String is the scope's written form: "issue:CODE", "reports:*", "metrics".
func (s Scope) String() string {
	if s.Kind == ScopeMetrics {
		return string(s.Kind)
	}
	return string(s.Kind) + ":" + s.Agency
}

// Scopes are the grants of one API key. The zero value grants nothing.
type Scopes []Scope

// ParseScope reads one written scope.
func ParseScope(w string) (Scope, error) {
	kind, agency, hasAgency := strings.Cut(w, ":")
	k := ScopeKind(kind)
	switch {
	case !slices.Contains(ScopeKinds, k):
		return Scope{}, fmt.Errorf("auth: scope %q: the kind must be one of %v", w, ScopeKinds)
	case k == ScopeMetrics && hasAgency:
		return Scope{}, fmt.Errorf("auth: scope %q: metrics names no agency", w)
	case k != ScopeMetrics && (agency == "" || strings.ContainsAny(agency, " \t\r\n,")):
		return Scope{}, fmt.Errorf("auth: scope %q: name an agency code or %s (e.g. %s:SO.TP)", w, AllAgencies, k)
	}
	return Scope{Kind: k, Agency: agency}, nil
}

// ParseScopes reads scopes written as by Scopes.String (separated by spaces or commas), and
// returns them sorted and without duplicates.
func ParseScopes(s string) (Scopes, error) {
	var out Scopes
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }) {
		sc, err := ParseScope(w)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out.normal(), nil
}

// normal sorts and deduplicates the scopes.
func (ss Scopes) normal() Scopes {
	out := slices.Clone(ss)
	slices.SortFunc(out, func(a, b Scope) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out)
}

// String writes the scopes separated by spaces, as stored.
func (ss Scopes) String() string {
	w := make([]string, len(ss))
	for i, s := range ss.normal() {
		w[i] = s.String()
	}
	return strings.Join(w, " ")
}

// Has reports whether the scopes include kind for agency: a scope of that very agency or of
// AllAgencies. agency AllAgencies asks for every agency at once, which only AllAgencies grants.
func (ss Scopes) Has(kind ScopeKind, agency string) bool {
	return slices.ContainsFunc(ss, func(s Scope) bool {
		return s.Kind == kind && (kind == ScopeMetrics || s.Agency == AllAgencies || s.Agency == agency)
	})
}

// Agency is Official.Scope for a key reading data of kind: the agency a request that asked
// for asked ("" = every agency) is about. A key of AllAgencies gets what was asked; a key of
// exactly one agency is confined to it when it asked for none; anything else is ErrForbidden.
func (ss Scopes) Agency(kind ScopeKind, asked string) (string, error) {
	if asked != "" {
		if ss.Has(kind, asked) {
			return asked, nil
		}
		return "", ErrForbidden
	}
	if ss.Has(kind, AllAgencies) {
		return "", nil
	}
	var own []string
	for _, s := range ss {
		if s.Kind == kind {
			own = append(own, s.Agency)
		}
	}
	if len(own) == 1 {
		return own[0], nil
	}
	return "", ErrForbidden
}
