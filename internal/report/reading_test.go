package report

import (
	"strings"
	"testing"

	"sipas/internal/index"
)

// TestLines: each comparison's one verdict, its basis and its sentences.
func TestLines(t *testing.T) {
	rep, m := mustReport(t), testMeta(t)
	rep.AgencyFamily.Holm = 9
	var discordant bool
	for _, l := range m.AgencyLines(rep) {
		a := agencyRow(rep, l.ID)
		if !l.Stratified || l.Verdict != a.Stratified.Change.VerdictHolm || !l.Adjusted || l.HowText != "hiệu chỉnh Holm trên 9 cơ quan" {
			t.Errorf("%s: line %+v, want the stratified Holm verdict over 9 agencies", l.ID, l)
		}
		if l.Discordant() {
			discordant = true
			if len(l.Notes) == 0 || !strings.Contains(l.Notes[0], "không chứa 0") || !strings.Contains(l.Notes[0], "9 cơ quan") {
				t.Errorf("%s: discordant line without its sentence: %q", l.ID, l.Notes)
			}
		}
		if l.RankText == "" || !strings.HasPrefix(l.RankText, "hạng ") {
			t.Errorf("%s: rank %q", l.ID, l.RankText)
		}
	}
	if !discordant {
		t.Error("the fixture has no agency whose own interval excludes 0 under a Holm no-change")
	}
	for _, l := range m.IndexLines(rep) {
		ix := indexOf(rep, l.ID)
		want := ix.Change.Stratified.Verdict
		if ix.Kind == index.KindQuestion {
			want = ix.Change.Stratified.VerdictHolm
		}
		if l.Verdict != want || (ix.Kind == index.KindQuestion) != l.Adjusted {
			t.Errorf("%s: verdict %s (adjusted %v), want %s", l.ID, l.Verdict, l.Adjusted, want)
		}
	}
}

// TestLinesWithoutEvidence: no difference is printed under insufficient data, and the line
// says why; the unweighted basis carries no verdict; a comparison with published figures says
// it is approximate.
func TestLinesWithoutEvidence(t *testing.T) {
	m := testMeta(t)
	rep := edgeReport() // no stratified basis, an aggregate baseline
	for _, l := range m.IndexLines(rep) {
		if l.Stratified || l.Verdict != "" || l.VerdictText != "" {
			t.Errorf("%s: unweighted line with a verdict %+v", l.ID, l)
		}
		if len(l.Notes) == 0 || !strings.Contains(l.Notes[0], "chỉ để đối chiếu") {
			t.Errorf("%s: notes %q do not say the figure is for reference only", l.ID, l.Notes)
		}
	}
	rule := index.VarBorrowed
	ch := &index.Change{Diff: ptr(0.3), Verdict: index.InsufficientData, BaselineN: ptr(1), BaselineVarRule: &rule}
	ix := &index.Index{ID: "overall", Kind: index.KindOverall, Stratified: &index.Estimate{Value: ptr(0.9), N: 1},
		Change: &index.IndexChange{Stratified: ch}}
	rep.Indices = []index.Index{*ix}
	l := m.IndexLine(rep, ix)
	if l.HasDiff() || l.Diff() != nil {
		t.Error("a difference is printed under insufficient data")
	}
	notes := strings.Join(l.Notes, " ")
	for _, w := range []string{"Quá ít phiếu", "gần đúng", "ước lượng theo năm nay"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes %q lack %q", notes, w)
		}
	}
	if s := m.summarySentence(rep); strings.Contains(s, "+30") || !strings.Contains(s, "chưa đủ dữ liệu") {
		t.Errorf("summary %q", s)
	}
}

func agencyRow(rep *index.Report, code string) index.AgencyRow {
	for _, a := range rep.Agencies {
		if a.Agency == code {
			return a
		}
	}
	return index.AgencyRow{}
}

func indexOf(rep *index.Report, id string) *index.Index {
	for i := range rep.Indices {
		if rep.Indices[i].ID == id {
			return &rep.Indices[i]
		}
	}
	return nil
}
