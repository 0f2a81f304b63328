package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"sipas/internal/receipt"
)

// TestIntegrityCountsRefusals: forged and reused tokens and invalid answers are refused, never
// stored, and the integrity page shows each under its reason.
func TestIntegrityCountsRefusals(t *testing.T) {
	e := newAdminEnv(t)
	tok, err := receipt.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	anon := e.anonymous(t)
	form := "application/x-www-form-urlencoded"
	for range 3 {
		if rec := e.send(t, "POST", "/s/"+string(tok), "A1=4", form, anon, nil); rec.Code != http.StatusNotFound {
			t.Fatalf("forged token: status %d, want 404", rec.Code)
		}
	}
	rec := e.get(t, "/admin/integrity", e.sessions["admin"])
	if rec.Code != http.StatusOK {
		t.Fatalf("integrity page: status %d", rec.Code)
	}
	body := rec.Body.String()
	// The totals row: unknown tokens first, in the order of refusalReasons.
	total := regexp.MustCompile(`(?s)<tfoot>.*?</tfoot>`).FindString(body)
	if !strings.Contains(total, "<td><strong>3</strong></td><td><strong>0</strong></td>") {
		t.Errorf("totals row does not count 3 unknown tokens and 0 reused:\n%s", total)
	}
	if strings.Contains(body, string(tok)) {
		t.Error("the integrity page shows a refused token")
	}
}
