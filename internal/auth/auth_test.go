package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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

// TestPasswordStrength: at least 12 characters (counted as characters, not bytes), at most
// 1,024 bytes, and not on the shipped list of common passwords in any letter case. The
// issue's examples, "1234567890" and "password12", are refused.
func TestPasswordStrength(t *testing.T) {
	for pw, want := range map[string]error{
		"ngắn":                    ErrPasswordShort,
		"1234567890":              ErrPasswordShort,
		"password12":              ErrPasswordShort,
		"mười ký tự!":             ErrPasswordShort, // 11 characters
		"password1234":            ErrPasswordCommon,
		"QWERTY123456":            ErrPasswordCommon,
		"1qaz2wsx3edc":            ErrPasswordCommon,
		"iloveyou1234":            ErrPasswordCommon,
		strings.Repeat("x", 1025): ErrPasswordLong,
		"mười hai ký tự":          nil,
		"Sở Nội vụ 2026 an toàn":  nil,
	} {
		if err := CheckPasswordStrength(pw); !errors.Is(err, want) {
			t.Errorf("CheckPasswordStrength(%.20q) = %v, want %v", pw, err, want)
		}
	}
}

// TestCommonPasswordList: the embedded list is the one common-passwords.md describes (1,187
// lines, lower case, every one long enough that only the list refuses it), and every line is
// refused.
func TestCommonPasswordList(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(commonPasswordsText), "\n")
	if len(lines) != 1187 {
		t.Errorf("common-passwords.txt has %d lines, want 1187 (see common-passwords.md)", len(lines))
	}
	for _, l := range lines {
		if l != strings.ToLower(l) || utf8.RuneCountInString(l) < MinPasswordLen {
			t.Errorf("line %q is not lower case or is shorter than %d", l, MinPasswordLen)
		}
		if !errors.Is(CheckPasswordStrength(strings.ToUpper(l)), ErrPasswordCommon) {
			t.Errorf("%q in upper case is not refused as common", l)
		}
	}
}

func TestScopes(t *testing.T) {
	sc, err := ParseScopes("reports:B issue:A,metrics reports:B answers:*")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sc.String(), "answers:* issue:A metrics reports:B"; got != want {
		t.Errorf("String = %q, want %q (sorted, no duplicates)", got, want)
	}
	for _, tt := range []struct {
		kind   ScopeKind
		agency string
		want   bool
	}{
		{ScopeIssue, "A", true}, {ScopeIssue, "B", false}, {ScopeIssue, AllAgencies, false},
		{ScopeReports, "B", true}, {ScopeReports, "A", false},
		{ScopeAnswers, "Z", true}, {ScopeAnswers, AllAgencies, true},
		{ScopeMetrics, "", true},
	} {
		if got := sc.Has(tt.kind, tt.agency); got != tt.want {
			t.Errorf("Has(%s, %q) = %v, want %v", tt.kind, tt.agency, got, tt.want)
		}
	}
	if Scopes(nil).Has(ScopeMetrics, "") {
		t.Error("no scopes grant metrics")
	}
	for _, tt := range []struct {
		kind          ScopeKind
		asked, want   string
		wantForbidden bool
	}{
		{ScopeReports, "", "B", false}, // confined to its one agency
		{ScopeReports, "B", "B", false},
		{ScopeReports, "A", "", true},
		{ScopeAnswers, "", "", false}, // every agency
		{ScopeIssue, "", "A", false},
	} {
		got, err := sc.Agency(tt.kind, tt.asked)
		if got != tt.want || errors.Is(err, ErrForbidden) != tt.wantForbidden {
			t.Errorf("Agency(%s, %q) = %q, %v", tt.kind, tt.asked, got, err)
		}
	}
	two, _ := ParseScopes("reports:A reports:B")
	if _, err := two.Agency(ScopeReports, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("a key of two agencies asking for all: %v, want ErrForbidden", err)
	}
	for _, bad := range []string{"root", "issue", "issue:", "metrics:A", "reports:A\tB", "delete:*"} {
		if _, err := ParseScopes(bad); err == nil {
			t.Errorf("ParseScopes(%q) accepted it", bad)
		}
	}
}

// TestTOTP: RFC 6238's SHA-1 test vector, the neighbouring steps accepted, a code used once.
func TestTOTP(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890" (RFC 6238 appendix B)
	at := time.Unix(59, 0)
	code, err := TOTPCode(secret, at)
	if err != nil || code != "287082" { // the vector's 94287082, six digits
		t.Fatalf("code at 59 s = %q, %v; want 287082", code, err)
	}
	step, ok := VerifyTOTP(secret, "287 082", at, 0)
	if !ok || step != 1 {
		t.Fatalf("VerifyTOTP = %d, %v; want step 1", step, ok)
	}
	if _, ok := VerifyTOTP(secret, code, at.Add(30*time.Second), 0); !ok {
		t.Error("the code of the step before was refused")
	}
	if _, ok := VerifyTOTP(secret, code, at.Add(90*time.Second), 0); ok {
		t.Error("a code three steps old was accepted")
	}
	if _, ok := VerifyTOTP(secret, code, at, step); ok {
		t.Error("a code of a step already used was accepted again")
	}
	for _, bad := range []string{"", "28708", "2870820", "abcdef"} {
		if _, ok := VerifyTOTP(secret, bad, at, 0); ok {
			t.Errorf("VerifyTOTP accepted %q", bad)
		}
	}
	s2, err := NewTOTP("quantri@sipas.test")
	if err != nil || len(s2) < 32 {
		t.Fatalf("NewTOTP = %q, %v; want 160 bits in base32", s2, err)
	}
	u, err := TOTPURL("quantri@sipas.test", s2)
	if err != nil || !strings.HasPrefix(u, "otpauth://totp/SIPAS:quantri@sipas.test?") || !strings.Contains(u, "secret="+s2) {
		t.Errorf("TOTPURL = %q, %v", u, err)
	}
}

// TestPasswordGate: slots beyond the size are refused at once, never waited for.
func TestPasswordGate(t *testing.T) {
	g := NewPasswordGate(2)
	for i := range 2 {
		if !g.Enter() {
			t.Fatalf("entry %d of a gate of two was refused", i+1)
		}
	}
	if g.Enter() {
		t.Fatal("a third entered a gate of two")
	}
	g.Leave()
	if !g.Enter() {
		t.Error("a slot given back was not taken")
	}
	if g.Refused() != 1 {
		t.Errorf("Refused = %d, want 1", g.Refused())
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
