package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// seedComments stores n comments of 2026 spread over two agencies, newest last, the ones
// given first; it returns every comment's text.
func seedComments(t *testing.T, s *store.Store, n int, given ...string) []string {
	t.Helper()
	if _, err := s.ImportAgencies(t.Context(), []dataset.Agency{{Code: "A", Name: "Sở A", Level: "province"},
		{Code: "B", Name: "UBND xã B", Level: "commune"}}); err != nil {
		t.Fatal(err)
	}
	var rs []store.ImportedResponse
	var texts []string
	for i := range n {
		text := fmt.Sprintf("Góp ý số %d", i)
		if i < len(given) {
			text = given[i]
		}
		texts = append(texts, text)
		rs = append(rs, store.ImportedResponse{Response: dataset.Response{ID: fmt.Sprintf("r%03d", i),
			AgencyCode: []string{"A", "B"}[i%2], Channel: dataset.ChannelCounter, Year: 2026, Comment: text,
			SubmittedAt: time.Date(2026, 3, 1, 8, 0, 0, 0, calendar.Zone).Add(time.Duration(i) * time.Minute)}})
	}
	if _, err := s.ImportResponses(t.Context(), "test", "sipas", "1", rs); err != nil {
		t.Fatal(err)
	}
	return texts
}

// TestListCommentsPages: every comment is on exactly one page, newest first, and a page past
// the last is the last.
func TestListCommentsPages(t *testing.T) {
	s := storetest.Open(t)
	texts := seedComments(t, s, 123)
	var seen []string
	for page := 1; page <= 3; page++ {
		p, err := s.ListComments(t.Context(), store.CommentFilter{SurveyID: "sipas", Year: 2026, Page: page})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 123 || p.Pages != 3 || p.Page != page {
			t.Fatalf("page %d: total %d, pages %d, page %d; want 123, 3, %d", page, p.Total, p.Pages, p.Page, page)
		}
		for _, c := range p.Comments {
			seen = append(seen, c.Text)
		}
	}
	slices.Reverse(seen)
	if !slices.Equal(seen, texts) {
		t.Errorf("the pages hold %d comments, not every comment once, newest first", len(seen))
	}
	last, err := s.ListComments(t.Context(), store.CommentFilter{SurveyID: "sipas", Year: 2026, Page: 99})
	if err != nil {
		t.Fatal(err)
	}
	if last.Page != 3 || len(last.Comments) != 23 {
		t.Errorf("page 99 = page %d with %d comments, want the last (3) with 23", last.Page, len(last.Comments))
	}
}

// TestListCommentsSearch: the search ignores case and diacritics, needs every word, and pages
// what it finds; the agency filter keeps one agency's.
func TestListCommentsSearch(t *testing.T) {
	s := storetest.Open(t)
	seedComments(t, s, 60, "Rất hài lòng với cán bộ", "HÀI LÒNG", "Không hài lòng vì chờ lâu",
		"Cán bộ ho\u0300i ha\u0300n", "hài hước nhưng lòng vòng", "Đông người quá")
	tests := []struct {
		q    string
		want []string
	}{
		{"hai long", []string{"hài hước nhưng lòng vòng", "Không hài lòng vì chờ lâu", "HÀI LÒNG", "Rất hài lòng với cán bộ"}},
		{"hài lòng cán bộ", []string{"Rất hài lòng với cán bộ"}},
		{"  DONG  ", []string{"Đông người quá"}},
		{"hoi han", []string{"Cán bộ ho\u0300i ha\u0300n"}},
		{"không có", nil},
	}
	for _, tt := range tests {
		p, err := s.ListComments(t.Context(), store.CommentFilter{SurveyID: "sipas", Year: 2026, Search: tt.q})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range p.Comments {
			got = append(got, c.Text)
		}
		if !slices.Equal(got, tt.want) || p.Total != len(tt.want) {
			t.Errorf("search %q = %q (total %d), want %q", tt.q, got, p.Total, tt.want)
		}
	}
	p, err := s.ListComments(t.Context(), store.CommentFilter{SurveyID: "sipas", Year: 2026, Search: "góp ý", PerPage: 10, Page: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 54 || p.Pages != 6 || len(p.Comments) != 10 {
		t.Errorf("searched page 2 of 10: total %d, pages %d, %d comments; want 54, 6, 10", p.Total, p.Pages, len(p.Comments))
	}
	b, err := s.ListComments(t.Context(), store.CommentFilter{SurveyID: "sipas", Year: 2026, AgencyCode: "B", Search: "hai long"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Total != 1 || b.Comments[0].Text != "HÀI LÒNG" {
		t.Errorf("agency B's hài lòng comments: %+v, want B's one", b)
	}
}
