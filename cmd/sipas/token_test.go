package main

import (
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// TestTokenMintVectors: the reference minting prints the test vectors of docs/tokens.md §8.
func TestTokenMintVectors(t *testing.T) {
	isolate(t)
	t.Setenv("SIPAS_TOKEN_KEY", "")
	for _, v := range []struct{ key, id, date, serial, token string }{
		{"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "1", "2024-05-17", "1", "000021HY00002E5XQH81F4V5X4"},
		{"5d1ac0e8b7a24f6c9e3b8d40f27a61c53b9e0d18a4c7f2e65b08d3a91c4e7f20", "4242", "2025-12-31", "123456", "0089424F07H401MCS3F7JKFJ2W"},
	} {
		code, stdout, stderr := runCmd(t, "", "token", "mint", "--secret-id", v.id, "--key", v.key, "--date", v.date, "--serial", v.serial,
			"--base-url", "https://sipas.angiang.gov.vn")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		want := v.token + " " + receipt.Token(v.token).ShortCode() + " HTTPS://SIPAS.ANGIANG.GOV.VN/S/" + v.token + "\n"
		if stdout != want {
			t.Errorf("mint %s/%s/%s = %q, want %q", v.id, v.date, v.serial, stdout, want)
		}
	}
	// The key from the environment, several serials, and no database touched.
	t.Setenv("SIPAS_TOKEN_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	code, stdout, stderr := runCmd(t, "", "token", "mint", "--secret-id", "1", "--date", "2024-05-17", "--serial", "1", "--count", "3")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "000021HY00002E5XQH81F4V5X4 ") {
		t.Errorf("mint --count 3 = %q", stdout)
	}
	if m, _ := filepath.Glob("*.db"); len(m) != 0 {
		t.Errorf("mint created %v", m)
	}
}

func TestTokenUsage(t *testing.T) {
	isolate(t)
	const envKey = "c0ffee00c0ffee00c0ffee00c0ffee00"
	t.Setenv("SIPAS_TOKEN_KEY", envKey)
	if _, _, stderr := runCmd(t, "", "token", "-h"); strings.Contains(stderr, envKey) {
		t.Error("token -h prints the key from SIPAS_TOKEN_KEY")
	}
	t.Setenv("SIPAS_TOKEN_KEY", "")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"token"}, "name an action"},
		{[]string{"token", "secret"}, "name an action"},
		{[]string{"token", "secret", "create"}, "--agency"},
		{[]string{"token", "secret", "steal"}, `"steal"`},
		{[]string{"token", "secret", "revoke"}, "secret's ID"},
		{[]string{"token", "secret", "revoke", "x"}, `"x"`},
		{[]string{"token", "mint", "--serial", "1"}, "--secret-id"},
		{[]string{"token", "mint", "--secret-id", "1", "--serial", "1"}, "hex"},
		{[]string{"token", "mint", "--secret-id", "1", "--key", "0011", "--serial", "1"}, "hex"},
		{[]string{"token", "mint", "--secret-id", "1", "--key", strings.Repeat("ab", 32)}, "--serial"},
		{[]string{"token", "mint", "--secret-id", "1", "--key", strings.Repeat("ab", 32), "--serial", "1", "--date", "17/05/2024"}, "--date"},
		{[]string{"token", "mint", "--secret-id", "1", "--key", strings.Repeat("ab", 32), "--serial", "1", "--base-url", "https://x.vn/a_b"}, "--base-url"},
	} {
		code, _, stderr := runCmd(t, "", tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("sipas %v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestTokenSecretLifecycle: create prints the key once; rotate adds a second secret while the
// first stays valid; revoke stops one; list never shows a key; and the printed ID and key
// mint tokens the service accepts.
func TestTokenSecretLifecycle(t *testing.T) {
	isolate(t)
	db := filepath.Join(t.TempDir(), "sipas.db")
	st := openDB(t, db)
	storetest.MustCreateAgency(t, st, "MG.STP", "Sở Tư pháp tỉnh Minh Giang", "province")

	if code, _, stderr := runCmd(t, "", "token", "secret", "rotate", "--agency", "MG.STP", "--db", db); code != exitError || !strings.Contains(stderr, "no active secret") {
		t.Errorf("rotate without a secret: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, "", "token", "secret", "create", "--agency", "NOPE", "--db", db); code != exitError || !strings.Contains(stderr, "NOPE") {
		t.Errorf("unknown agency: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := runCmd(t, "", "token", "secret", "create", "--agency", "MG.STP", "--db", db)
	if code != exitOK {
		t.Fatalf("create: exit %d: %s", code, stderr)
	}
	id1, key1 := parseSecretLine(t, stdout)
	if !strings.Contains(stderr, "shown only now") {
		t.Errorf("create stderr = %q", stderr)
	}
	code, stdout, stderr = runCmd(t, "", "token", "secret", "rotate", "--agency", "MG.STP", "--db", db)
	if code != exitOK {
		t.Fatalf("rotate: exit %d: %s", code, stderr)
	}
	id2, key2 := parseSecretLine(t, stdout)
	if id2 == id1 || key2 == key1 || !strings.Contains(stderr, id1+" of MG.STP stay valid") {
		t.Errorf("rotate: %s %s, stderr %q", id2, key2, stderr)
	}

	// Tokens minted with the printed values are accepted by the store, under both secrets.
	for _, s := range [][2]string{{id1, key1}, {id2, key2}} {
		code, stdout, stderr := runCmd(t, "", "token", "mint", "--secret-id", s[0], "--key", s[1], "--serial", "7")
		if code != exitOK {
			t.Fatalf("mint: %s", stderr)
		}
		tok := receipt.Token(strings.Fields(stdout)[0])
		if _, err := st.AcceptSignedToken(t.Context(), tok, store.TokenPolicy{}); err != nil {
			t.Errorf("token of secret %s: %v", s[0], err)
		}
	}

	if code, stdout, _ := runCmd(t, "", "token", "secret", "revoke", id1, "--db", db); code != exitOK || !strings.Contains(stdout, "revoked token secret "+id1) {
		t.Errorf("revoke: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCmd(t, "", "token", "secret", "revoke", id1, "--db", db); code != exitError {
		t.Errorf("revoke twice: exit %d, %q", code, stderr)
	}
	code, stdout, _ = runCmd(t, "", "token", "secret", "list", "--db", db)
	if code != exitOK || strings.Contains(stdout, key1) || strings.Contains(stdout, key2) {
		t.Errorf("list: exit %d, %q (must not show keys)", code, stdout)
	}
	if !strings.Contains(stdout, id1+"\tMG.STP\t") || !strings.Contains(stdout, "revoked") || !strings.Contains(stdout, "active") {
		t.Errorf("list = %q", stdout)
	}
	tok, err := receipt.Mint(receipt.Secret{ID: mustUint32(t, id1), Key: mustHex(t, key1)}, time.Now(), 8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AcceptSignedToken(t.Context(), tok, store.TokenPolicy{}); err == nil {
		t.Error("a token of the revoked secret was accepted")
	}
	acts := storetest.AuditActions(t, st)
	if strings.Join(acts, " ") != "token_secret.create token_secret.rotate token_secret.revoke" {
		t.Errorf("audit = %v", acts)
	}
	for _, a := range acts {
		if strings.Contains(a, key1) {
			t.Error("the audit log holds a key")
		}
	}
}

func parseSecretLine(t *testing.T, s string) (id, key string) {
	t.Helper()
	f := strings.Fields(s)
	if len(f) != 2 || len(f[1]) != 64 {
		t.Fatalf("secret create printed %q, want \"ID HEXKEY\"", s)
	}
	return f[0], f[1]
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustUint32(t *testing.T, s string) uint32 {
	t.Helper()
	var n uint32
	for _, c := range s {
		n = n*10 + uint32(c-'0')
	}
	return n
}
