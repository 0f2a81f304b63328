package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	p := Argon2Params{Memory: 1024, Time: 1, Threads: 1} // cheap for tests
	h := HashPassword("đúng mật khẩu 123", p)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if !VerifyPassword("đúng mật khẩu 123", h) {
		t.Error("the right password was refused")
	}
	for _, bad := range []string{"", "đúng mật khẩu 12", "dung mat khau 123"} {
		if VerifyPassword(bad, h) {
			t.Errorf("wrong password %q accepted", bad)
		}
	}
	if h2 := HashPassword("đúng mật khẩu 123", p); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyPasswordRefusesMalformed(t *testing.T) {
	for _, phc := range []string{"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=9999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "$argon2id$v=19$m=1024,t=1,p=0$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=1024,t=1,p=1$!!$aGFzaA"} {
		if VerifyPassword("x", phc) {
			t.Errorf("VerifyPassword accepted malformed %q", phc)
		}
	}
}

func TestPasswordStrength(t *testing.T) {
	if CheckPasswordStrength("ngắn") == nil {
		t.Error("a 4-character password was accepted")
	}
	if err := CheckPasswordStrength("mười ký tự!"); err != nil {
		t.Errorf("a 10-character password was refused: %v", err)
	}
}

func TestRoles(t *testing.T) {
	admin := Official{Role: RoleAdmin}
	analyst := Official{Role: RoleAnalyst}
	agency := Official{Role: RoleAgency, AgencyCode: "X"}
	tests := []struct {
		o    Official
		p    Permission
		want bool
	}{
		{admin, PermManageUsers, true},
		{analyst, PermManageUsers, false},
		{analyst, PermManageKeys, false},
		{analyst, PermViewReports, true},
		{analyst, PermModerate, true},
		{agency, PermViewReports, true},
		{agency, PermViewAllAgency, false},
		{agency, PermManageData, false},
		{Official{Role: RoleAdmin, Disabled: true}, PermViewReports, false},
		{Official{Role: "root"}, PermViewReports, false},
	}
	for _, tt := range tests {
		if got := tt.o.Can(tt.p); got != tt.want {
			t.Errorf("%s(disabled=%v).Can(%s) = %v, want %v", tt.o.Role, tt.o.Disabled, tt.p, got, tt.want)
		}
	}
	scopes := []struct {
		o       Official
		asked   string
		want    string
		wantErr error
	}{
		{agency, "", "X", nil},
		{agency, "X", "X", nil},
		{agency, "Y", "", ErrForbidden},
		{Official{Role: RoleAgency}, "", "", ErrForbidden}, // no agency: sees nothing
		{admin, "", "", nil},                               // every agency
		{admin, "Y", "Y", nil},
		{analyst, "Y", "Y", nil},
	}
	for _, tt := range scopes {
		got, err := tt.o.Scope(tt.asked)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("%s.Scope(%q) = %q, %v; want %q, %v", tt.o.Role, tt.asked, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := ParseRole("superuser"); err == nil {
		t.Error("ParseRole accepted superuser")
	}
}

func TestAPIKey(t *testing.T) {
	k1, h1, p1 := NewAPIKey()
	k2, _, _ := NewAPIKey()
	if k1 == k2 {
		t.Fatal("two keys are equal")
	}
	if !strings.HasPrefix(k1, APIKeyPrefix) || len(k1) < len(APIKeyPrefix)+50 {
		t.Errorf("key %q lacks the prefix or 256 bits", k1)
	}
	if h1 != HashSecret(k1) || strings.Contains(h1, k1) {
		t.Error("the stored hash is not SHA-256 of the key")
	}
	if !strings.HasPrefix(k1, p1) || len(p1) >= len(k1)/2 {
		t.Errorf("prefix %q reveals too much or is not the key's start", p1)
	}
	if a, b := NewSessionID(), NewSessionID(); a == b {
		t.Error("two session ids are equal")
	}
}
