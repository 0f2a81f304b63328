// Package storetest opens real, temporary sipas databases for tests and builds fixtures in
// them (STYLE.md §8: a file DB, never :memory:, so WAL is exercised as in production).
package storetest

import (
	"database/sql"
	"path/filepath"
	"testing"

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
		TokenHash: tok.Hash(), AgencyCode: agencyCode, Procedure: "Chứng thực bản sao", Channel: channel, Source: "api",
	}}); err != nil {
		tb.Fatalf("storetest: create receipt of %s: %v", agencyCode, err)
	}
	return tok
}

// MustCreateAPIKey creates an active API key and returns the plain key (only its hash is stored).
func MustCreateAPIKey(tb testing.TB, s *store.Store) string {
	tb.Helper()
	key, _ := MustCreateAPIKeyID(tb, s)
	return key
}

// MustCreateAPIKeyID is MustCreateAPIKey that also returns the key's id, e.g. to revoke it.
func MustCreateAPIKeyID(tb testing.TB, s *store.Store) (string, int64) {
	tb.Helper()
	key, hash, prefix := auth.NewAPIKey()
	k, err := s.CreateAPIKey(tb.Context(), "storetest", hash, prefix)
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
