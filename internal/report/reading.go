package report

import (
	"cmp"
	"slices"
	"strings"

	"sipas/internal/index"
)

// A Line is one comparison as officials read it (METHODS §12): every number of the line on
// one basis, the one verdict of the comparison and the sentences that say what it means. The
// dashboard, the XLSX and the PDF build their rows from Lines, so that no page, export or role
// can give the same comparison two verdicts.
//
// The basis is the stratified one. Only where the report has no stratified estimate (a
// stratum lacks its receipts count) is the line on the unweighted basis, as a labelled
// diagnostic with no verdict words (Stratified false, Verdict "").
type Line struct {
	ID    string     // question code, aspect id, "overall", or agency code
	Label string     // the question text, aspect title or agency name
	Kind  index.Kind // of an index line; "" for an agency

	Stratified              bool
	Estimate, Low, High, SE *float64
	N                       int
	Indicative              bool     // the precision flag of METHODS §13 (stratified lines only)
	Rate                    *float64 // response rate: N over the receipts of the line's scope

	// Change is the comparison on the line's basis; nil when none could be made.
	Change *index.Change
	// Verdict is the comparison's one verdict: Holm's for agencies (over all agencies of the
	// unfiltered report) and questions (over the report's questions), the interval's for
	// aspects and the overall index; "" when the line carries no verdict (no baseline, the
	// unweighted diagnostic, agencies against published figures).
	Verdict index.Verdict
	// Adjusted says the verdict is Holm's, over Family comparisons, with PAdj its p.
	Adjusted bool
	Family   int
	PAdj     *float64

	// RankLow and RankHigh are an agency's rank range among Ranked agencies (METHODS §12).
	RankLow, RankHigh *int
	Ranked            int
	// Predecessors are the baseline units an agency is compared with (METHODS §11).
	Predecessors []index.Predecessor

	// The words of the line, in the report's language.
	VerdictText string   // "Cao hơn có ý nghĩa thống kê"; "" without a verdict
	HowText     string   // how the verdict was reached: "hiệu chỉnh Holm trên 11 cơ quan"
	RankText    string   // "hạng 3–9"; "" without a rank range
	ComparedTo  string   // "so với 2023: Sở Kế hoạch và Đầu tư, Sở Tài chính (55%)"; "" when itself
	Notes       []string // the sentences that belong to this line alone
}

// HasDiff reports whether the line's difference may be printed: never under insufficient
// data, whose difference (if any) rests on nothing (issue 16).
func (l Line) HasDiff() bool {
	return l.Change != nil && l.Change.Diff != nil && l.Verdict != "" && l.Verdict != index.InsufficientData
}

// Diff is the difference to print, or nil (HasDiff).
func (l Line) Diff() *float64 {
	if !l.HasDiff() {
		return nil
	}
	return l.Change.Diff
}

// Discordant reports the case officials ask about: the comparison's own interval excludes 0,
// but the adjusted verdict is no significant change.
func (l Line) Discordant() bool {
	if !l.Adjusted || l.Verdict != index.NoChange || l.Change == nil || l.Change.CILow == nil || l.Change.CIHigh == nil {
		return false
	}
	return *l.Change.CILow > 0 || *l.Change.CIHigh < 0
}

// Reorganised reports whether the line is compared with units other than itself.
func (l Line) Reorganised() bool { return reorganised(l.ID, l.Predecessors) }

func reorganised(code string, ps []index.Predecessor) bool {
	return len(ps) > 1 || (len(ps) == 1 && (ps[0].Agency != code || ps[0].Share != 1))
}

// IndexLines returns a line for every index of rep, in report order.
func (m Meta) IndexLines(rep *index.Report) []Line {
	out := make([]Line, len(rep.Indices))
	for i := range rep.Indices {
		out[i] = m.IndexLine(rep, &rep.Indices[i])
	}
	return out
}

// IndexLine is the line of one index of rep.
func (m Meta) IndexLine(rep *index.Report, idx *index.Index) Line {
	l := Line{ID: idx.ID, Label: m.indexLabel(idx), Kind: idx.Kind}
	est := idx.Stratified
	l.Stratified = est != nil
	if est == nil {
		est = idx.Unweighted
	}
	if est != nil {
		l.Estimate, l.Low, l.High, l.SE, l.N = est.Value, est.CILow, est.CIHigh, est.SE, est.N
		l.Indicative = est.Indicative != nil && *est.Indicative
	}
	l.Rate = rate(l.N, m.ScopeReceipts)
	if idx.Change != nil {
		l.Change = idx.Change.Unweighted
		if l.Stratified {
			l.Change = idx.Change.Stratified
		}
	}
	if rep.Baseline != nil && l.Stratified {
		l.Verdict = changeVerdict(l.Change)
		if idx.Kind == index.KindQuestion {
			l.Adjusted, l.Family = true, questionFamily(rep)
			l.Verdict, l.PAdj = adjusted(l.Change)
		}
	}
	m.words(&l, rep)
	return l
}

// AgencyLines returns the agency rows of rep as lines, as a league table orders them:
// highest estimate first, agencies without one last, ties by code.
func (m Meta) AgencyLines(rep *index.Report) []Line {
	out := make([]Line, len(rep.Agencies))
	for i := range rep.Agencies {
		out[i] = m.AgencyLine(rep, &rep.Agencies[i])
	}
	slices.SortStableFunc(out, func(a, b Line) int {
		switch {
		case a.Estimate == nil && b.Estimate == nil:
		case a.Estimate == nil:
			return 1
		case b.Estimate == nil:
			return -1
		default:
			if c := cmp.Compare(*b.Estimate, *a.Estimate); c != 0 {
				return c
			}
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// AgencyLine is the line of one agency row: its overall index on the stratified basis over
// its own stratum, compared with its predecessors, with the Holm verdict over all agencies.
func (m Meta) AgencyLine(rep *index.Report, a *index.AgencyRow) Line {
	l := Line{ID: a.Agency, Label: m.agencyName(a.Agency), Predecessors: a.Predecessors, Ranked: rep.AgencyFamily.Ranked}
	if s := a.Stratified; s != nil {
		l.Stratified = true
		l.Estimate, l.Low, l.High, l.SE, l.N = s.Estimate, s.CILow, s.CIHigh, s.SE, s.N
		l.Indicative, l.RankLow, l.RankHigh = s.Indicative, s.RankLow, s.RankHigh
		if s.Change != nil {
			l.Change = &s.Change.Change
		}
	} else {
		l.Estimate, l.Low, l.High, l.N = a.Estimate, a.CILow, a.CIHigh, a.N
		if a.Change != nil {
			l.Change = &a.Change.Change
		}
	}
	l.Rate = rate(l.N, m.Receipts[a.Agency])
	if rep.Baseline != nil && rep.Baseline.Source == index.SourceResponses && l.Stratified {
		l.Adjusted, l.Family = true, rep.AgencyFamily.Holm
		l.Verdict, l.PAdj = adjusted(l.Change)
	}
	m.words(&l, rep)
	return l
}

// adjusted returns the Holm verdict and p of ch, insufficient data when ch has none.
func adjusted(ch *index.Change) (index.Verdict, *float64) {
	if ch == nil || ch.Adjustment == nil {
		return index.InsufficientData, nil
	}
	return ch.VerdictHolm, ch.PHolm
}

// questionFamily counts the questions whose stratified change has a p-value: the Holm
// family of the question verdicts (METHODS §12).
func questionFamily(rep *index.Report) int {
	n := 0
	for i := range rep.Indices {
		ix := &rep.Indices[i]
		if ix.Kind == index.KindQuestion && ix.Change != nil && ix.Change.Stratified != nil && ix.Change.Stratified.PValue != nil {
			n++
		}
	}
	return n
}

// rate is n over receipts, or nil when the receipts are unknown.
func rate(n int, receipts float64) *float64 {
	if receipts <= 0 {
		return nil
	}
	r := float64(n) / receipts
	return &r
}
