package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyScopeMigration: 0009_security.sql gives each existing key the scopes its own traces
// prove it needs (docs/security.md, "Key migration"), and nothing else.
func TestKeyScopeMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`)
	names, _ := migrationsFS.ReadDir("migrations")
	for _, n := range names {
		if n.Name() >= "0009" {
			break
		}
		body, _ := migrationsFS.ReadFile("migrations/" + n.Name())
		exec(string(body))
		exec(`INSERT INTO schema_migrations VALUES ('` + n.Name() + `', '2025-01-01T00:00:00.000Z')`)
	}
	at := `'2025-06-01T00:00:00.000Z'`
	exec(`INSERT INTO agencies (id, code, name, level, created_at, updated_at) VALUES
		(1, 'A.STP', 'A', 'province', ` + at + `, ` + at + `), (2, 'B.TNMT', 'B', 'province', ` + at + `, ` + at + `)`)
	exec(`INSERT INTO api_keys (id, name, prefix, hash, created_at, revoked_at) VALUES
		(1, 'one-stop A', 'p1', 'h1', '2025-02-01T00:00:00.000Z', NULL),
		(2, 'dashboard', 'p2', 'h2', '2025-02-01T00:00:00.000Z', NULL),
		(3, 'prometheus', 'p3', 'h3', '2025-02-01T00:00:00.000Z', NULL),
		(4, 'new key', 'p4', 'h4', '2025-09-01T00:00:00.000Z', NULL),
		(5, 'old', 'p5', 'h5', '2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z')`)
	exec(`INSERT INTO receipts (token_hash, agency_id, channel, source, issued_at, year) VALUES
		('t1', 1, 'counter', 'api', '2025-08-01T00:00:00.000Z', 2025), ('t2', 2, 'counter', 'sheet', '2025-08-01T00:00:00.000Z', 2025)`)
	exec(`INSERT INTO audit_log (at, actor, action, detail) VALUES
		(` + at + `, 'api:one-stop A', 'sheets.create', '24 sticker receipts of A.STP'),
		(` + at + `, 'api:dashboard', 'report.download', 'format=json year=2025 baseline=2023 agency=B.TNMT'),
		(` + at + `, 'api:dashboard', 'report.download', 'format=csv year=2025 baseline=0 '),
		(` + at + `, 'api:dashboard', 'responses.export', 'format=csv year=2025 agency='),
		(` + at + `, 'api:dashboard', 'minted.report', 'B.TNMT 2025-06-01: 40'),
		(` + at + `, 'api:old', 'responses.export', 'format=csv year=2025 agency=A.STP')`)
	db.Close()

	s, err := Open(ctx, path, Options{Access: Migrate})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys, err := s.ListAPIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"one-stop A": "issue:A.STP",                                                 // sheets, and receipts issued through the API while it was active
		"dashboard":  "answers:* issue:A.STP issue:B.TNMT reports:* reports:B.TNMT", // its reports, exports and minted counts; API receipts of its time
		"prometheus": "issue:A.STP",                                                 // the API receipt of 2025-08 may be its
		"new key":    "metrics",                                                     // created after every trace: only the untraced use
		"old":        "",                                                            // revoked
	}
	for _, k := range keys {
		if got := k.Scopes.String(); got != want[k.Name] {
			t.Errorf("key %q: scopes %q, want %q", k.Name, got, want[k.Name])
		}
		if strings.Contains(k.Scopes.String(), "answers:A.STP") {
			t.Errorf("key %q got the revoked key's scope", k.Name)
		}
	}
}
