// Package storetest opens real, temporary sipas databases for tests and builds fixtures in
// them (STYLE.md §8: a file DB, never :memory:, so WAL is exercised as in production).
package storetest

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sipas/internal/auth"
	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

// Open returns a store on a new file database in tb.TempDir(), with every migration applied.
// It is closed when the test ends.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	return OpenOptions(tb, store.Options{})
}

// OpenOptions is Open with options, e.g. a fixed clock.
func OpenOptions(tb testing.TB, opts store.Options) *store.Store {
	tb.Helper()
	return OpenPath(tb, filepath.Join(tb.TempDir(), "sipas.db"), opts)
}

// OpenPath opens (creating if needed) the database at path and closes it when the test ends.
func OpenPath(tb testing.TB, path string, opts store.Options) *store.Store {
	tb.Helper()
	s, err := store.Open(tb.Context(), path, opts)
	if err != nil {
		tb.Fatalf("storetest: open %s: %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("storetest: close: %v", err)
		}
	})
	return s
}

// MustCreateAgency creates (or updates) one agency without a parent.
func MustCreateAgency(tb testing.TB, s *store.Store, code, name, level string) store.Agency {
	tb.Helper()
	if _, err := s.ImportAgencies(tb.Context(), []dataset.Agency{{Code: code, Name: name, Level: level}}); err != nil {
		tb.Fatalf("storetest: create agency %s: %v", code, err)
	}
	a, err := s.FindAgencyByCode(tb.Context(), code)
	if err != nil {
		tb.Fatalf("storetest: find agency %s: %v", code, err)
	}
	return a
}

// MustCreateReceipt issues one counter receipt of the agency and returns its token, which the
// database only knows by its hash.
func MustCreateReceipt(tb testing.TB, s *store.Store, agencyCode string) receipt.Token {
	tb.Helper()
	return MustCreateReceiptChannel(tb, s, agencyCode, "counter")
}

// MustCreateReceiptChannel is MustCreateReceipt for another channel.
func MustCreateReceiptChannel(tb testing.TB, s *store.Store, agencyCode, channel string) receipt.Token {
	tb.Helper()
	tok, err := receipt.NewToken()
	if err != nil {
		tb.Fatalf("storetest: new token: %v", err)
	}
	if _, err := s.CreateReceipts(tb.Context(), []store.NewReceipt{{
		TokenHash: tok.Hash(), NumberHash: receipt.NumberOf(tok).Hash(), AgencyCode: agencyCode, Procedure: "Chứng thực bản sao", Channel: channel, Source: "api",
	}}); err != nil {
		tb.Fatalf("storetest: create receipt of %s: %v", agencyCode, err)
	}
	return tok
}

// AllScopes grants every scope: the key of tests that are not about scopes.
const AllScopes = "issue:* reports:* answers:* metrics"

// MustCreateAPIKey creates an active API key of AllScopes and returns the plain key (only its
// hash is stored).
func MustCreateAPIKey(tb testing.TB, s *store.Store) string {
	tb.Helper()
	key, _ := MustCreateAPIKeyID(tb, s)
	return key
}

// MustCreateAPIKeyID is MustCreateAPIKey that also returns the key's id, e.g. to revoke it.
func MustCreateAPIKeyID(tb testing.TB, s *store.Store) (string, int64) {
	tb.Helper()
	return MustCreateAPIKeyScopes(tb, s, AllScopes)
}

// MustCreateAPIKeyScopes creates an active API key with the scopes written as auth.ParseScopes
// reads them, and returns the plain key and its id.
func MustCreateAPIKeyScopes(tb testing.TB, s *store.Store, scopes string) (string, int64) {
	tb.Helper()
	sc, err := auth.ParseScopes(scopes)
	if err != nil {
		tb.Fatalf("storetest: scopes: %v", err)
	}
	key, hash, prefix := auth.NewAPIKey()
	k, err := s.CreateAPIKey(tb.Context(), store.NewAPIKey{Name: "storetest", Hash: hash, Prefix: prefix, Scopes: sc})
	if err != nil {
		tb.Fatalf("storetest: create api key: %v", err)
	}
	return key, k.ID
}

// StoredResponse is one row of the responses table, as tests inspect it.
type StoredResponse struct {
	ResponseID    string
	HasReceipt    bool
	AgencyCode    string
	SurveyID      string
	SurveyVersion string
	Channel       string
	Source        string
	Year, Month   int
	Answers       string
	Expectations  string
	Comment       string
}

// Responses returns every stored response in insertion order. It reads the database file on
// its own read-only connection, so it sees exactly what was committed.
func Responses(tb testing.TB, s *store.Store) []StoredResponse {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+s.Path()+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatalf("storetest: open %s: %v", s.Path(), err)
	}
	defer db.Close()
	rows, err := db.QueryContext(tb.Context(), `SELECT r.response_id, r.receipt_id IS NOT NULL, a.code, r.survey_id,
		r.survey_version, r.channel, r.source, r.year, r.month, r.answers, r.expectations, r.comment
		FROM responses r JOIN agencies a ON a.id = r.agency_id ORDER BY r.id`)
	if err != nil {
		tb.Fatalf("storetest: responses: %v", err)
	}
	defer rows.Close()
	var out []StoredResponse
	for rows.Next() {
		var r StoredResponse
		if err := rows.Scan(&r.ResponseID, &r.HasReceipt, &r.AgencyCode, &r.SurveyID, &r.SurveyVersion, &r.Channel,
			&r.Source, &r.Year, &r.Month, &r.Answers, &r.Expectations, &r.Comment); err != nil {
			tb.Fatalf("storetest: responses: %v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("storetest: responses: %v", err)
	}
	return out
}

// Clock is a settable clock for store.Options.Now, so tests can let sessions expire or a
// throttling window pass without waiting. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time; pass the method value as store.Options.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fastArgon2 is a cheap argon2id cost for fixture officials. VerifyPassword reads the cost
// from the stored hash, so signing in as them runs the real code path in a fraction of the
// time of auth.DefaultArgon2 (tests sign in hundreds of times).
var fastArgon2 = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}

// MustCreateOfficial creates an official who can sign in with password. agency is the agency
// code of an agency-role official ("" for the other roles); it must exist.
func MustCreateOfficial(tb testing.TB, s *store.Store, email string, role auth.Role, agency, password string) auth.Official {
	tb.Helper()
	o, err := s.CreateOfficial(tb.Context(), store.NewOfficial{Email: email, Name: "Cán bộ " + string(role), Role: role,
		AgencyCode: agency, PasswordHash: auth.HashPassword(password, fastArgon2)})
	if err != nil {
		tb.Fatalf("storetest: create official %s: %v", email, err)
	}
	return o
}

// MustFindOfficial returns the official of an email.
func MustFindOfficial(tb testing.TB, s *store.Store, email string) auth.Official {
	tb.Helper()
	o, _, err := s.FindOfficialForLogin(tb.Context(), email)
	if err != nil {
		tb.Fatalf("storetest: find official %s: %v", email, err)
	}
	return o
}

// MustSeedReceipts stores receipts, answered or not, with their own issue and answer times
// (store.SeedReceipts), e.g. a year of responses with comments in several agencies.
func MustSeedReceipts(tb testing.TB, s *store.Store, seeds []store.Seed) {
	tb.Helper()
	if err := s.SeedReceipts(tb.Context(), seeds); err != nil {
		tb.Fatalf("storetest: seed %d receipts: %v", len(seeds), err)
	}
}

// AuditActions returns the actions of the audit log, oldest first.
func AuditActions(tb testing.TB, s *store.Store) []string {
	tb.Helper()
	entries, err := s.ListAudit(tb.Context(), "", 100000)
	if err != nil {
		tb.Fatalf("storetest: audit: %v", err)
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[len(entries)-1-i] = e.Action
	}
	return out
}

// MustBreakTable renames a table of s's database behind the store's back, so that every
// query of it fails from now on like a damaged or unreadable database would: the
// failure-injection of tests that check a store failure is answered 500 and logged, never
// shown.
func MustBreakTable(tb testing.TB, s *store.Store, table string) {
	tb.Helper()
	mustExecBehind(tb, s, `ALTER TABLE `+table+` RENAME TO broken_`+table)
}

// MustFailWrites makes every insert into and update of a table of s's database fail from now
// on, as a full disk would, while reads of it still work.
func MustFailWrites(tb testing.TB, s *store.Store, table string) {
	tb.Helper()
	for _, op := range []string{"INSERT", "UPDATE"} {
		mustExecBehind(tb, s, `CREATE TRIGGER fail_`+op+`_`+table+` BEFORE `+op+` ON `+table+
			` BEGIN SELECT RAISE(ABORT, 'database or disk is full (storetest)'); END`)
	}
}

// mustExecBehind runs a statement on s's database file through a connection of its own.
func mustExecBehind(tb testing.TB, s *store.Store, query string) {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+s.Path()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(tb.Context(), query); err != nil {
		tb.Fatalf("storetest: %s: %v", query, err)
	}
}
