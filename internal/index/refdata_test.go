package index

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The reference test computes the reports of refdata/README.md ("How the
// expected results were obtained") and compares every field the report maps
// (README "Where each report field is in the expected JSON") with the
// expected JSON of R's survey package.
//
// Both documents are flattened to leaf paths joined with "/" (agency codes
// contain dots). Every expected leaf must match a mapping rule or an
// explicit ignore rule, so no expected field is skipped silently; a mapped
// report field that does not exist fails; and every report leaf must have
// been compared, unless it is null where R writes nothing at all.

// flatten writes the leaves of a decoded JSON value into out. Arrays of
// objects are keyed by the objects' "agency" or "id" field; arrays whose
// elements are all strings (question lists) are one leaf; other arrays are
// indexed.
func flatten(v any, path string, out map[string]any) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "/" + k
	}
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			flatten(e, join(k), out)
		}
	case []any:
		strs := true
		for _, e := range v {
			if _, ok := e.(string); !ok {
				strs = false
			}
		}
		if strs {
			out[path] = v
			return
		}
		for i, e := range v {
			key := strconv.Itoa(i)
			if m, ok := e.(map[string]any); ok {
				for _, f := range []string{"agency", "id"} {
					if s, ok := m[f].(string); ok {
						key = s
						break
					}
				}
			}
			flatten(e, join(key), out)
		}
	default:
		out[path] = v
	}
}

// cmpKind says how an expected value is compared.
type cmpKind int

const (
	cmpNum     cmpKind = iota // absolute 1e-9
	cmpP                      // p-value: absolute 1e-9, and relative 1e-6 below 1e-6
	cmpExact                  // strings, bools
	cmpVerdict                // R's wording against the contract's codes
	cmpSet                    // question lists, as sets
)

// target is one report leaf an expected leaf is compared with.
type target struct {
	report string // "cur": the report; "base": the baseline year on its own
	path   string
	kind   cmpKind
}

type rule struct {
	re *regexp.Regexp
	to func(m []string) []target
}

func mapTo(report, path string, kind cmpKind) []target { return []target{{report, path, kind}} }

// indexID returns the index id in a path matched by (?:questions|aspects)/(X)|(overall).
func indexID(a, b string) string { return a + b }

var (
	estField = map[string]string{"est": "estimate", "se": "se", "n": "n", "n_eff": "n_eff", "deff": "deff"}
	ciField  = map[string]string{"0": "ci_low", "1": "ci_high"}
	verdicts = map[string]string{
		"significantly higher":  string(Higher),
		"significantly lower":   string(Lower),
		"no significant change": string(NoChange),
		"insufficient data":     string(InsufficientData),
	}
)

// referenceRules maps the expected JSON to the report (refdata/README.md).
func referenceRules() []rule {
	var rules []rule
	add := func(expr string, to func(m []string) []target) {
		rules = append(rules, rule{regexp.MustCompile("^" + expr + "$"), to})
	}
	idx := `(?:(?:questions|aspects)/([^/]+)|(overall))`
	for _, sec := range []struct{ name, report string }{{"current", "cur"}, {"baseline", "base"}} {
		r := sec.report
		add(sec.name+`/design/n_respondents_total`, func(m []string) []target { return mapTo(r, "respondents", cmpNum) })
		add(sec.name+`/`+idx+`/(id|kind|aspect)`, func(m []string) []target {
			return mapTo(r, "indices/"+indexID(m[1], m[2])+"/"+m[3], cmpExact)
		})
		add(sec.name+`/questions/([^/]+)/(unweighted|stratified)/(est|se|n|n_eff|deff)`, func(m []string) []target {
			t := mapTo(r, "indices/"+m[1]+"/"+m[2]+"/"+estField[m[3]], cmpNum)
			if r == "base" && (m[3] == "est" || m[3] == "n") {
				t = append(t, target{"cur", "indices/" + m[1] + "/change/" + m[2] + "/baseline_" + estField[m[3]], cmpNum})
			}
			return t
		})
		add(sec.name+`/questions/([^/]+)/(?:(unweighted)/ci_wilson|(stratified)/ci_wilson_neff)/([01])`, func(m []string) []target {
			return mapTo(r, "indices/"+m[1]+"/"+m[2]+m[3]+"/"+ciField[m[4]], cmpNum)
		})
		add(sec.name+`/(?:aspects/([^/]+)|(overall))/(unweighted|stratified)/(est|se|n)`, func(m []string) []target {
			id := indexID(m[1], m[2])
			t := mapTo(r, "indices/"+id+"/"+m[3]+"/"+estField[m[4]], cmpNum)
			if r == "base" && (m[4] == "est" || m[4] == "n") {
				t = append(t, target{"cur", "indices/" + id + "/change/" + m[3] + "/baseline_" + estField[m[4]], cmpNum})
			}
			return t
		})
		add(sec.name+`/(?:aspects/([^/]+)|(overall))/(?:(unweighted)/ci_t|(stratified)/ci_wald)/([01])`, func(m []string) []target {
			return mapTo(r, "indices/"+indexID(m[1], m[2])+"/"+m[3]+m[4]+"/"+ciField[m[5]], cmpNum)
		})
		add(sec.name+`/(?:aspects/([^/]+)|(overall))/(unweighted|stratified)/dropped_questions`, func(m []string) []target {
			return mapTo(r, "indices/"+indexID(m[1], m[2])+"/"+m[3]+"/dropped_questions", cmpSet)
		})
	}
	cmpSec := `comparison_(?:raw|aggregate)/` + idx
	add(cmpSec+`/(id|kind)`, func(m []string) []target {
		return mapTo("cur", "indices/"+indexID(m[1], m[2])+"/"+m[3], cmpExact)
	})
	add(cmpSec+`/(unweighted|stratified)/(diff|se|df|baseline_estimate|baseline_n|p_value|verdict|p_ci_discordant)`, func(m []string) []target {
		kind := map[string]cmpKind{"p_value": cmpP, "verdict": cmpVerdict, "p_ci_discordant": cmpExact}[m[4]]
		return mapTo("cur", "indices/"+indexID(m[1], m[2])+"/change/"+m[3]+"/"+m[4], kind)
	})
	add(cmpSec+`/(unweighted|stratified)/ci/([01])`, func(m []string) []target {
		return mapTo("cur", "indices/"+indexID(m[1], m[2])+"/change/"+m[3]+"/"+ciField[m[4]], cmpNum)
	})
	rows := `agency_comparisons/rows/([^/]+)/`
	add(`agency_comparisons/m`, func(m []string) []target { return mapTo("cur", "#holm_family", cmpNum) })
	add(rows+`(agency|est|n)`, func(m []string) []target {
		f := map[string]string{"agency": "agency", "est": "estimate", "n": "n"}[m[2]]
		return mapTo("cur", "agencies/"+m[1]+"/"+f, map[bool]cmpKind{true: cmpExact, false: cmpNum}[m[2] == "agency"])
	})
	add(rows+`est_ci_t/([01])`, func(m []string) []target { return mapTo("cur", "agencies/"+m[1]+"/"+ciField[m[2]], cmpNum) })
	add(rows+`(baseline_est|baseline_n|diff|se|df)`, func(m []string) []target {
		f := map[string]string{"baseline_est": "baseline_estimate"}[m[2]]
		if f == "" {
			f = m[2]
		}
		return mapTo("cur", "agencies/"+m[1]+"/change/"+f, cmpNum)
	})
	add(rows+`(p_value|p_holm|p_bh)`, func(m []string) []target { return mapTo("cur", "agencies/"+m[1]+"/change/"+m[2], cmpP) })
	add(rows+`ci/([01])`, func(m []string) []target { return mapTo("cur", "agencies/"+m[1]+"/change/"+ciField[m[2]], cmpNum) })
	add(rows+`(verdict|verdict_holm|verdict_bh)`, func(m []string) []target {
		return mapTo("cur", "agencies/"+m[1]+"/change/"+m[2], cmpVerdict)
	})
	// The ±5 % table of METHODS §8 decides the extra "indicative" flag.
	add(`sample_size/per_agency_5pct/([^/]+)/n`, func(m []string) []target { return mapTo("cur", "#indicative/"+m[1], cmpNum) })
	add(`meta/conf_level`, func(m []string) []target { return mapTo("cur", "confidence_level", cmpNum) })
	return rules
}

// ignoredExpected are the expected fields that the report does not carry
// (refdata/README.md: check_*, var_direct, Korn–Graubard, logit, respondent
// scores, deff_vs_unweighted, the sample_size block, the stochastic
// bootstrap), plus design diagnostics, R's method labels, the question
// family's Holm/BH (not in the report JSON) and the borrowed variance.
var ignoredExpected = regexp.MustCompile(`^(?:` + strings.Join([]string{
	`meta/.*`,
	`checks/.*`,
	`bootstrap/.*`,
	`sample_size/national/.*`,
	`sample_size/per_agency_5pct/[^/]+/(?:agency|N)`,
	`(?:current|baseline)/design/(?:n_respondents_with_answers|strata/.*|N_total_present|kish_deff_weighting|degf)`,
	`(?:current|baseline)/questions/[^/]+/unweighted/x`,
	`(?:current|baseline)/.*/(?:var_direct|n_strata|lonely_strata|respondent_score_mean|deff_vs_unweighted|check_[a-z_]+)`,
	`(?:current|baseline)/questions/[^/]+/stratified/(?:ci_wald|ci_korn_graubard|ci_logit)/[01]`,
	`(?:current|baseline)/(?:aspects/[^/]+|overall)/questions`,
	`(?:current|baseline)/(?:aspects/[^/]+|overall)/unweighted/df`,
	`comparison_(?:raw|aggregate)/.*/method`,
	`comparison_(?:raw|aggregate)/.*/check_t_test/.*`,
	`comparison_(?:raw|aggregate)/questions/[^/]+/(?:unweighted|stratified)/(?:p_holm|p_bh)`,
	`comparison_aggregate/.*/baseline_var(?:_rule)?`,
	`comparison_aggregate/note`,
	`agency_comparisons/(?:index|basis|method)`,
}, "|") + `)$`)

// absentMeansNull are report leaves R leaves out when they are undefined:
// the SE and df of a Newcombe interval, the effective n, design effect and
// interval of a question nobody answered, p_ci_discordant outside Newcombe.
// Uncompared, they must be null (or false).
var absentMeansNull = regexp.MustCompile(`^(?:indices/[^/]+/(?:change/unweighted/se|change/(?:unweighted|stratified)/df|stratified/(?:n_eff|deff|ci_low|ci_high)|change/(?:unweighted|stratified)/p_ci_discordant)|agencies/[^/]+/change/(?:df|p_ci_discordant))$`)

// pValueRel is the relative tolerance for p-values below 1e-6 (README).
const (
	tolAbs    = 1e-9
	pValueRel = 1e-6
)

func TestReference(t *testing.T) {
	tests := []struct {
		name     string
		expected string
		reports  func(t *testing.T) []report
		// noAgencyChange: against aggregates the agency rows have no change
		// and the expected JSON no agency block.
		noAgencyChange bool
	}{
		{
			name:     "raw baseline",
			expected: "2024_vs_2023_raw.json",
			reports: func(t *testing.T) []report {
				return rawReports(t, "responses_2024.csv", "responses_2023.csv", "populations.csv")
			},
		},
		{
			name:     "aggregate baseline",
			expected: "2024_vs_aggregates_2023.json",
			reports: func(t *testing.T) []report {
				d, cur := fixtureResponses(t, "responses_2024.csv", 2024)
				return []report{{"cur", Input{
					Design:      d,
					Current:     cur,
					Populations: fixturePopulations(t, "populations.csv", 2024),
					Baseline:    &Baseline{Year: 2023, Source: SourceAggregates, Aggregates: fixtureAggregates(t, "aggregates_2023.csv")},
				}}}
			},
			noAgencyChange: true,
		},
		{
			name:     "edge set",
			expected: "edge_2024_vs_2023_raw.json",
			reports: func(t *testing.T) []report {
				return rawReports(t, "edge_responses_2024.csv", "edge_responses_2023.csv", "edge_populations.csv")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(refdata, "expected", tt.expected))
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{}
			flatten(doc, "", want)

			got := map[string]map[string]any{}
			reps := map[string]*Report{}
			for _, r := range tt.reports(t) {
				rep, err := Compute(r.in)
				if err != nil {
					t.Fatalf("Compute(%s): %v", r.name, err)
				}
				reps[r.name] = rep
				got[r.name] = flattenReport(t, rep)
			}
			cur := reps["cur"]
			if cur.Baseline == nil || cur.Baseline.Year != 2023 {
				t.Errorf("baseline = %+v, want year 2023", cur.Baseline)
			}

			compared, nulls := 0, 0
			covered := map[string]map[string]bool{"cur": {}, "base": {}}
			rules := referenceRules()
			paths := make([]string, 0, len(want))
			for p := range want {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			for _, p := range paths {
				var targets []target
				matched := false
				for _, r := range rules {
					if m := r.re.FindStringSubmatch(p); m != nil {
						targets, matched = r.to(m), true
						break
					}
				}
				if !matched {
					if !ignoredExpected.MatchString(p) {
						t.Errorf("expected field %s is neither mapped nor ignored", p)
					}
					continue
				}
				for _, tg := range targets {
					g, ok := got[tg.report]
					if !ok {
						t.Errorf("%s: report %q not computed", p, tg.report)
						continue
					}
					gv, ok := derived(g, reps[tg.report], tg.path)
					if !ok {
						t.Errorf("%s: report field %s (%s) is missing", p, tg.path, tg.report)
						continue
					}
					covered[tg.report][tg.path] = true
					if code, ok := strings.CutPrefix(tg.path, "#indicative/"); ok {
						covered[tg.report]["agencies/"+code+"/indicative"] = true
					}
					if err := compareValue(want[p], gv, tg.kind); err != nil {
						t.Errorf("%s vs %s %s: %v", p, tg.report, tg.path, err)
					}
					compared++
					if want[p] == nil {
						nulls++
					}
				}
			}
			// Every leaf of the report must have been compared.
			for name, g := range got {
				for p, v := range g {
					switch {
					case covered[name][p]:
					case name == "base" && !strings.HasPrefix(p, "indices/") && p != "respondents":
						// The baseline year alone: only its indices are in the expected JSON.
					case name == "base" && strings.HasSuffix(p, "/change"):
						if v != nil {
							t.Errorf("%s (base) = %v, want null without a baseline", p, v)
						}
					case regexp.MustCompile(`^(?:survey|year|filters/.*|baseline/(?:year|source))$`).MatchString(p):
						// Caller-set metadata and the baseline reference, checked above.
					case tt.noAgencyChange && strings.HasPrefix(p, "agencies/"):
						if strings.HasSuffix(p, "/change") && v != nil {
							t.Errorf("%s = %v, want null against aggregates", p, v)
						}
					case absentMeansNull.MatchString(p):
						if v != nil && v != false {
							t.Errorf("%s = %v, want null: the reference has no value", p, v)
						}
						nulls++
					default:
						t.Errorf("report field %s (%s) = %v was not compared", p, name, v)
					}
				}
			}
			t.Logf("%s: %d values compared (%d of them null), %d report leaves", tt.expected, compared, nulls, len(got["cur"]))
			if compared < 100 {
				t.Errorf("only %d values compared", compared)
			}
		})
	}
}

// report is one Compute input of a reference case: "cur" is the report
// under test, "base" the baseline year computed on its own.
type report struct {
	name string
	in   Input
}

// rawReports are the report against a raw baseline and the baseline year
// alone (whose indices are the expected JSON's "baseline" block).
func rawReports(t *testing.T, current, baseline, populations string) []report {
	d1, cur := fixtureResponses(t, current, 2024)
	d0, base := fixtureResponses(t, baseline, 2023)
	if !d1.equal(d0) {
		t.Fatalf("%s and %s have different questions", current, baseline)
	}
	pops0 := fixturePopulations(t, populations, 2023)
	return []report{
		{"cur", Input{
			Design:      d1,
			Current:     cur,
			Populations: fixturePopulations(t, populations, 2024),
			Baseline:    &Baseline{Year: 2023, Source: SourceResponses, Summary: base, Populations: pops0},
		}},
		{"base", Input{Design: d0, Current: base, Populations: pops0}},
	}
}

// flattenReport marshals rep with encoding/json, as the CLI and the API do,
// and flattens the result.
func flattenReport(t *testing.T, rep *Report) map[string]any {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	flatten(v, "", out)
	return out
}

// derived returns a report leaf, or a value derived from the report for a
// path starting with "#".
func derived(g map[string]any, rep *Report, path string) (any, bool) {
	switch {
	case path == "#holm_family":
		n := 0
		for _, a := range rep.Agencies {
			if a.Change != nil && a.Change.PValue != nil {
				n++
			}
		}
		return float64(n), true
	case strings.HasPrefix(path, "#indicative/"):
		// Expected: the minimum n. Report: the flag. Translate the flag back
		// into "n below the minimum" against the expected minimum.
		code := strings.TrimPrefix(path, "#indicative/")
		for _, a := range rep.Agencies {
			if a.Agency == code {
				return indicativeProbe{n: a.N, flag: a.Indicative}, true
			}
		}
		return nil, false
	}
	v, ok := g[path]
	return v, ok
}

// indicativeProbe is an agency's n and flag, compared with an expected
// minimum sample size.
type indicativeProbe struct {
	n    int
	flag bool
}

func compareValue(want, got any, kind cmpKind) error {
	if p, ok := got.(indicativeProbe); ok {
		minN, _ := want.(float64)
		if p.flag != (float64(p.n) < minN) {
			return fmt.Errorf("indicative = %v with n %d, want n < %v", p.flag, p.n, minN)
		}
		return nil
	}
	if want == nil || got == nil {
		if want != got {
			return fmt.Errorf("got %v, want %v", got, want)
		}
		return nil
	}
	switch kind {
	case cmpNum, cmpP:
		w, ok1 := want.(float64)
		g, ok2 := got.(float64)
		if !ok1 || !ok2 {
			return fmt.Errorf("got %v (%T), want number %v", got, got, want)
		}
		if d := math.Abs(g - w); d > tolAbs {
			return fmt.Errorf("got %.15g, want %.15g (|Δ| = %.3g)", g, w, d)
		}
		if kind == cmpP && w < 1e-6 && math.Abs(g-w) > pValueRel*w {
			return fmt.Errorf("got p %.15g, want %.15g (relative error above %g)", g, w, pValueRel)
		}
	case cmpVerdict:
		w, ok := verdicts[fmt.Sprint(want)]
		if !ok {
			return fmt.Errorf("unknown expected verdict %v", want)
		}
		if got != w {
			return fmt.Errorf("verdict %v, want %v (%v)", got, w, want)
		}
	case cmpSet:
		w, g := stringSet(want), stringSet(got)
		if !slices.Equal(w, g) {
			return fmt.Errorf("got %v, want %v", g, w)
		}
	default:
		if got != want {
			return fmt.Errorf("got %v, want %v", got, want)
		}
	}
	return nil
}

func stringSet(v any) []string {
	var s []string
	l, _ := v.([]any)
	for _, e := range l {
		s = append(s, fmt.Sprint(e))
	}
	slices.Sort(s)
	return s
}
