package index

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Transfer is one row of the crosswalk of reorganised units (METHODS §11):
// from the date Since, the share Share ∈ (0, 1] of the receipts (procedures)
// of unit From belongs to unit To.
type Transfer struct {
	From, To string
	Share    float64
	// Since is the civil date the change took effect (midnight UTC of that
	// date; only the date matters).
	Since time.Time
}

// Crosswalk is the set of transfers that reorganised the units. The shares of
// one From sum to 1; a unit that is no From continues as itself. Rows that
// chain (u → v, then v → T) compose: s(u→T) = Σ over paths of the product of
// the shares.
type Crosswalk []Transfer

// CycleError reports a crosswalk whose transfers lead from a unit back to
// itself. Row is the index of a transfer on the cycle; Path lists the codes
// around it.
type CycleError struct {
	Row  int
	Path []string
}

// Error names the units around the cycle.
func (e *CycleError) Error() string {
	return fmt.Sprintf("index: crosswalk cycle %v", e.Path)
}

// Between returns the transfers that reorganise the units between a baseline
// year and a report year: those that took effect after 1 January of the
// baseline year and no later than 31 December of the report year. A change
// that took effect on 1 January of the baseline year or before is already in
// the baseline's own units; one after the report year has not happened yet.
func (cw Crosswalk) Between(baselineYear, year int) Crosswalk {
	from := time.Date(baselineYear, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	var out Crosswalk
	for _, t := range cw {
		if t.Since.After(from) && !t.Since.After(to) {
			out = append(out, t)
		}
	}
	return out
}

// Shares maps a unit u to the units it continues as, with the composed share
// of u's receipts each one took over: Shares[u][T] = s(u→T) for every unit T
// that is no From (METHODS §11). A unit that is no From maps to itself with
// share 1; units absent from the map continue as themselves too.
type Shares map[string]map[string]float64

// Compose returns the composed shares of cw, or a *CycleError when the
// transfers loop. It does not check that the shares of a unit sum to 1 (the
// import does, with line and column): it composes what it is given.
func (cw Crosswalk) Compose() (Shares, error) {
	out := make(map[string][]Transfer)
	for _, t := range cw {
		out[t.From] = append(out[t.From], t)
	}
	shares := Shares{}
	state := map[string]int{} // 0 unseen, 1 on the path, 2 done
	var path []string
	var visit func(u string) error
	visit = func(u string) error {
		switch state[u] {
		case 2:
			return nil
		case 1:
			start := slices.Index(path, u)
			return &CycleError{Row: rowOf(cw, path[len(path)-1], u), Path: append(slices.Clone(path[start:]), u)}
		}
		state[u] = 1
		path = append(path, u)
		m := map[string]float64{}
		if len(out[u]) == 0 {
			m[u] = 1
		}
		for _, t := range out[u] {
			if err := visit(t.To); err != nil {
				return err
			}
			for T, s := range shares[t.To] {
				m[T] += t.Share * s
			}
		}
		shares[u] = m
		path = path[:len(path)-1]
		state[u] = 2
		return nil
	}
	froms := make([]string, 0, len(out))
	for u := range out {
		froms = append(froms, u)
	}
	slices.Sort(froms)
	for _, u := range froms {
		if err := visit(u); err != nil {
			return nil, err
		}
	}
	return shares, nil
}

// rowOf returns the index of the transfer from → to in cw, or -1.
func rowOf(cw Crosswalk, from, to string) int {
	for i, t := range cw {
		if t.From == from && t.To == to {
			return i
		}
	}
	return -1
}

// Share returns s(u→T): the part of u's receipts that unit T took over, 1
// when u is T and u continues as itself, 0 when u has nothing to do with T.
func (s Shares) Share(u, T string) float64 {
	m, ok := s[u]
	if !ok {
		if u == T {
			return 1
		}
		return 0
	}
	return m[T]
}

// Predecessor is one stratum of a reorganised unit's baseline: a unit of the
// baseline year and the share of its receipts that the unit took over
// (METHODS §11).
type Predecessor struct {
	Agency string  `json:"agency"`
	Share  float64 `json:"share"`
}

// PredecessorBaseline is a unit's baseline-year overall index on the
// stratified basis over its predecessors (METHODS §11): the covariate of the
// small-area model and what its estimate is compared with (§14).
type PredecessorBaseline struct {
	Estimate float64
	// Var is the estimate's variance; NaN when it is no evidence of
	// precision: one answer, or 0 from a sample (METHODS §13).
	Var float64
	// N is the baseline's analysis sample.
	N int
}

// PredecessorBaselines returns the baseline of each unit of codes that has
// one: in has a raw baseline, the unit has a predecessor with answers, and
// every predecessor has its receipts. Units without one are absent.
func PredecessorBaselines(in Input, codes []string) (map[string]PredecessorBaseline, error) {
	b := in.Baseline
	if b == nil || b.Source != SourceResponses {
		return nil, nil
	}
	base, err := prepare(in.Design, b.Summary, nil, b.Populations, fmt.Sprintf("baseline %d", b.Year))
	if err != nil {
		return nil, err
	}
	shares, err := b.Crosswalk.Compose()
	if err != nil {
		return nil, err
	}
	defs := definitions(in.Design)
	out := make(map[string]PredecessorBaseline, len(codes))
	for _, T := range codes {
		preds := predecessors(base, shares, T)
		ss, ok := base.set(preds)
		if !ok || len(preds) == 0 {
			continue
		}
		r := stratified(ss, &defs[len(defs)-1], len(in.Design.Questions))
		if math.IsNaN(r.est) {
			continue
		}
		v := r.v
		if v == 0 && r.sampled {
			v = math.NaN()
		}
		out[T] = PredecessorBaseline{Estimate: r.est, Var: v, N: r.n}
	}
	return out, nil
}
