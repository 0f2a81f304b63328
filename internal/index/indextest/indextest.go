// Package indextest holds the reference comparison of testdata/refdata for
// tests: it maps every field of R's expected JSON (refdata/README.md "Where
// each report field is in the expected JSON") onto the report JSON of
// CONTRACT.md and compares them with the README's tolerances.
//
// It works on decoded JSON only and does not import index, so that both
// index's own tests (which marshal a *index.Report) and the end-to-end CLI
// test (which parses `sipas report --format json`) can use it.
//
// Both documents are flattened to leaf paths joined with "/" (agency codes
// contain dots). Every expected leaf must match a mapping rule or an explicit
// ignore rule, so no expected field is skipped silently; a mapped report
// field that does not exist fails; and every report leaf must have been
// compared, unless it is null where R writes nothing at all.
package indextest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Tolerances of refdata/README.md.
const (
	// TolAbs is the absolute tolerance of every number.
	TolAbs = 1e-9
	// PValueRel is the relative tolerance of p-values below 1e-6, in
	// addition to TolAbs.
	PValueRel = 1e-6
)

// Case is one reference report of refdata/README.md ("How the expected
// results were obtained"), each computed from its own database.
type Case struct {
	Name     string
	Expected string // file name in refdata/expected
	// Agencies and Populations are the reference files of the case.
	Agencies, Populations string
	// Current is the responses file of 2024; Baseline that of 2023, or ""
	// when the baseline is Aggregates.
	Current, Baseline, Aggregates string
	// Source is the baseline source of the report: "responses" or
	// "aggregates".
	Source string
	// Superseded replaces expected values that a later rule of METHODS.md
	// changes (the reference files predate it): path → the value the rule
	// gives. Each entry says why in edgeSuperseded.
	Superseded map[string]any
}

// edgeSuperseded: in the edge set every answer to A0 is satisfied in both
// years and the strata are samples (only XA.02 is a census), so the
// stratified change of A0 has V1 + V0 = 0 from a sample. METHODS §13 makes
// that change insufficient data with null se, interval and p; being without
// a p it leaves the question family, whose BH values then come from the six
// other questions (all p = 0.978…, so BH gives that; Holm stays 1).
var edgeSuperseded = map[string]any{
	"comparison_raw/questions/A0/stratified/se":      nil,
	"comparison_raw/questions/A0/stratified/ci/0":    nil,
	"comparison_raw/questions/A0/stratified/ci/1":    nil,
	"comparison_raw/questions/A0/stratified/p_value": nil,
	"comparison_raw/questions/A0/stratified/p_holm":  nil,
	"comparison_raw/questions/A0/stratified/p_bh":    nil,
	"comparison_raw/questions/A0/stratified/verdict": "insufficient data",
	"comparison_raw/questions/A1/stratified/p_bh":    0.978475492880882,
	"comparison_raw/questions/B0/stratified/p_bh":    0.978475492880882,
	"comparison_raw/questions/B1/stratified/p_bh":    0.978475492880882,
	"comparison_raw/questions/C0/stratified/p_bh":    0.978475492880882,
	"comparison_raw/questions/D0/stratified/p_bh":    0.978475492880882,
	"comparison_raw/questions/E0/stratified/p_bh":    0.978475492880882,
}

// Year and BaselineYear are the years of every reference report.
const (
	Year         = 2024
	BaselineYear = 2023
)

// Cases are the three reference reports.
var Cases = []Case{
	{
		Name: "raw baseline", Expected: "2024_vs_2023_raw.json",
		Agencies: "agencies.csv", Populations: "populations.csv",
		Current: "responses_2024.csv", Baseline: "responses_2023.csv", Source: "responses",
	},
	{
		Name: "aggregate baseline", Expected: "2024_vs_aggregates_2023.json",
		Agencies: "agencies.csv", Populations: "populations.csv",
		Current: "responses_2024.csv", Aggregates: "aggregates_2023.csv", Source: "aggregates",
	},
	{
		Name: "edge set", Expected: "edge_2024_vs_2023_raw.json",
		Agencies: "edge_agencies.csv", Populations: "edge_populations.csv",
		Current: "edge_responses_2024.csv", Baseline: "edge_responses_2023.csv", Source: "responses",
		Superseded: edgeSuperseded,
	},
}

// Verdicts maps R's wording to the verdict codes of CONTRACT.md.
var Verdicts = map[string]string{
	"significantly higher":  "higher",
	"significantly lower":   "lower",
	"no significant change": "no_change",
	"insufficient data":     "insufficient_data",
}

// Flatten writes the leaves of a decoded JSON value into out. Arrays of
// objects are keyed by the objects' "agency" or "id" field; arrays whose
// elements are all strings (question lists) are one leaf; other arrays are
// indexed.
func Flatten(v any, path string, out map[string]any) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "/" + k
	}
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			Flatten(e, join(k), out)
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
			Flatten(e, join(key), out)
		}
	default:
		out[path] = v
	}
}

// FlattenJSON decodes a JSON document and flattens it.
func FlattenJSON(tb testing.TB, data []byte) map[string]any {
	tb.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatalf("indextest: decode JSON: %v", err)
	}
	out := map[string]any{}
	Flatten(v, "", out)
	return out
}

// cmpKind says how an expected value is compared.
type cmpKind int

const (
	cmpNum     cmpKind = iota // absolute 1e-9
	cmpP                      // p-value: absolute 1e-9, and relative 1e-6 below 1e-6
	cmpExact                  // strings, bools
	cmpVerdict                // R's wording against the contract's codes
	cmpSet                    // question lists, as sets
	cmpVarRule                // R's baseline variance rule against the contract's
)

// VarRules maps R's names of the aggregate-baseline variance rule (METHODS
// §6) to the baseline_var_rule values of CONTRACT.md.
var VarRules = map[string]string{
	"scaled_from_current_year": "borrowed",
	"binomial":                 "binomial",
	"published":                "published",
}

// unweightedAgencyP matches the p-value of an agency's unweighted change,
// whose family is the expected JSON's agency_comparisons (METHODS §10).
var unweightedAgencyP = regexp.MustCompile(`^agencies/[^/]+/change/p_value$`)

// checkedElsewhere are report leaves the shared reference files do not
// carry (METHODS §11–13: the stratified agency rows, predecessors, the
// precision flag, the verdicts that follow from an adjusted p): the
// project's own stress cases (testdata/stress) check them.
var checkedElsewhere = regexp.MustCompile(`^(?:` + strings.Join([]string{
	`agencies/[^/]+/(?:stratified/.*|predecessors/.*|predecessors|indicative)`,
	`indices/[^/]+/stratified/indicative`,
	// The sizes of the agency families, checked against the rows by index's own tests.
	`agency_family/(?:agencies|ranked|holm)`,
	`indices/[^/]+/change/(?:unweighted|stratified)/(?:verdict_holm|verdict_bh)`,
	// The aggregate reference has no question family (the raw ones do).
	`indices/[^/]+/change/(?:unweighted|stratified)/(?:p_holm|p_bh)`,
}, "|") + `)$`)

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
)

// referenceRules maps the expected JSON to the report (refdata/README.md).
func referenceRules() []rule {
	rs := &ruleSet{}
	idx := `(?:(?:questions|aspects)/([^/]+)|(overall))`
	for _, sec := range []struct{ name, report string }{{"current", "cur"}, {"baseline", "base"}} {
		rs.yearRules(sec.name, sec.report, idx)
	}
	rs.comparisonRules(idx)
	rs.agencyRules()
	rs.add(`meta/conf_level`, func(m []string) []target { return mapTo("cur", "confidence_level", cmpNum) })
	return rs.rules
}

// ruleSet collects mapping rules.
type ruleSet struct{ rules []rule }

func (rs *ruleSet) add(expr string, to func(m []string) []target) {
	rs.rules = append(rs.rules, rule{regexp.MustCompile("^" + expr + "$"), to})
}

// yearRules map one year's block ("current" or "baseline") to report r.
func (rs *ruleSet) yearRules(name, r, idx string) {
	rs.add(name+`/design/n_respondents_total`, func(m []string) []target { return mapTo(r, "respondents", cmpNum) })
	rs.add(name+`/`+idx+`/(id|kind|aspect)`, func(m []string) []target {
		return mapTo(r, "indices/"+indexID(m[1], m[2])+"/"+m[3], cmpExact)
	})
	estimate := func(id, basis, field string) []target {
		t := mapTo(r, "indices/"+id+"/"+basis+"/"+estField[field], cmpNum)
		if r == "base" && (field == "est" || field == "n") {
			t = append(t, target{"cur", "indices/" + id + "/change/" + basis + "/baseline_" + estField[field], cmpNum})
		}
		return t
	}
	rs.add(name+`/questions/([^/]+)/(unweighted|stratified)/(est|se|n|n_eff|deff)`, func(m []string) []target {
		return estimate(m[1], m[2], m[3])
	})
	rs.add(name+`/questions/([^/]+)/(?:(unweighted)/ci_wilson|(stratified)/ci_wilson_neff)/([01])`, func(m []string) []target {
		return mapTo(r, "indices/"+m[1]+"/"+m[2]+m[3]+"/"+ciField[m[4]], cmpNum)
	})
	rs.add(name+`/(?:aspects/([^/]+)|(overall))/(unweighted|stratified)/(est|se|n)`, func(m []string) []target {
		return estimate(indexID(m[1], m[2]), m[3], m[4])
	})
	rs.add(name+`/(?:aspects/([^/]+)|(overall))/(?:(unweighted)/ci_t|(stratified)/ci_wald)/([01])`, func(m []string) []target {
		return mapTo(r, "indices/"+indexID(m[1], m[2])+"/"+m[3]+m[4]+"/"+ciField[m[5]], cmpNum)
	})
	rs.add(name+`/(?:aspects/([^/]+)|(overall))/(unweighted|stratified)/dropped_questions`, func(m []string) []target {
		return mapTo(r, "indices/"+indexID(m[1], m[2])+"/"+m[3]+"/dropped_questions", cmpSet)
	})
}

// comparisonRules map the comparison blocks to the indices' changes.
func (rs *ruleSet) comparisonRules(idx string) {
	cmpSec := `comparison_(?:raw|aggregate)/` + idx
	change := func(m []string, field string, kind cmpKind) []target {
		return mapTo("cur", "indices/"+indexID(m[1], m[2])+"/change/"+m[3]+"/"+field, kind)
	}
	rs.add(cmpSec+`/(id|kind)`, func(m []string) []target {
		return mapTo("cur", "indices/"+indexID(m[1], m[2])+"/"+m[3], cmpExact)
	})
	rs.add(cmpSec+`/(unweighted|stratified)/(diff|se|df|baseline_estimate|baseline_n|p_value|verdict|p_ci_discordant)`, func(m []string) []target {
		return change(m, m[4], map[string]cmpKind{"p_value": cmpP, "verdict": cmpVerdict, "p_ci_discordant": cmpExact}[m[4]])
	})
	// The question family's adjustment, one family per basis (METHODS §12).
	rs.add(cmpSec+`/(unweighted|stratified)/(p_holm|p_bh)`, func(m []string) []target { return change(m, m[4], cmpP) })
	rs.add(`comparison_aggregate/`+idx+`/(unweighted|stratified)/baseline_var_rule`, func(m []string) []target {
		return change(m, "baseline_var_rule", cmpVarRule)
	})
	rs.add(cmpSec+`/(unweighted|stratified)/ci/([01])`, func(m []string) []target { return change(m, ciField[m[4]], cmpNum) })
}

// agencyRules map the agency comparisons to the agency rows' unweighted fields.
func (rs *ruleSet) agencyRules() {
	rows := `agency_comparisons/rows/([^/]+)/`
	rs.add(`agency_comparisons/m`, func(m []string) []target { return mapTo("cur", "#holm_family", cmpNum) })
	rs.add(rows+`(agency|est|n)`, func(m []string) []target {
		f := map[string]string{"agency": "agency", "est": "estimate", "n": "n"}[m[2]]
		return mapTo("cur", "agencies/"+m[1]+"/"+f, map[bool]cmpKind{true: cmpExact, false: cmpNum}[m[2] == "agency"])
	})
	rs.add(rows+`est_ci_t/([01])`, func(m []string) []target { return mapTo("cur", "agencies/"+m[1]+"/"+ciField[m[2]], cmpNum) })
	rs.add(rows+`(baseline_est|baseline_n|diff|se|df)`, func(m []string) []target {
		f := map[string]string{"baseline_est": "baseline_estimate"}[m[2]]
		if f == "" {
			f = m[2]
		}
		return mapTo("cur", "agencies/"+m[1]+"/change/"+f, cmpNum)
	})
	rs.add(rows+`(p_value|p_holm|p_bh)`, func(m []string) []target { return mapTo("cur", "agencies/"+m[1]+"/change/"+m[2], cmpP) })
	rs.add(rows+`ci/([01])`, func(m []string) []target { return mapTo("cur", "agencies/"+m[1]+"/change/"+ciField[m[2]], cmpNum) })
	rs.add(rows+`(verdict|verdict_holm|verdict_bh)`, func(m []string) []target {
		return mapTo("cur", "agencies/"+m[1]+"/change/"+m[2], cmpVerdict)
	})
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
	// The ±5 % table of METHODS §8 is the sample-size page's; the report's
	// precision flag is that of §12–13, checked by the stress cases.
	`sample_size/per_agency_5pct/.*`,
	`(?:current|baseline)/design/(?:n_respondents_with_answers|strata/.*|N_total_present|kish_deff_weighting|degf)`,
	`(?:current|baseline)/questions/[^/]+/unweighted/x`,
	`(?:current|baseline)/.*/(?:var_direct|n_strata|lonely_strata|respondent_score_mean|deff_vs_unweighted|check_[a-z_]+)`,
	`(?:current|baseline)/questions/[^/]+/stratified/(?:ci_wald|ci_korn_graubard|ci_logit)/[01]`,
	`(?:current|baseline)/(?:aspects/[^/]+|overall)/questions`,
	`(?:current|baseline)/(?:aspects/[^/]+|overall)/unweighted/df`,
	`comparison_(?:raw|aggregate)/.*/method`,
	`comparison_(?:raw|aggregate)/.*/check_t_test/.*`,
	`comparison_aggregate/.*/baseline_var`,
	`comparison_aggregate/note`,
	`agency_comparisons/(?:index|basis|method)`,
}, "|") + `)$`)

// absentMeansNull are report leaves R leaves out when they are undefined:
// the SE and df of a Newcombe interval, the effective n, design effect and
// interval of a question nobody answered, p_ci_discordant outside Newcombe.
// Uncompared, they must be null (or false).
var absentMeansNull = regexp.MustCompile(`^(?:indices/[^/]+/(?:change/unweighted/se|change/(?:unweighted|stratified)/df|stratified/(?:n_eff|deff|ci_low|ci_high)|change/(?:unweighted|stratified)/(?:p_ci_discordant|baseline_var_rule))|agencies/[^/]+/change/(?:df|p_ci_discordant|baseline_var_rule))$`)

// metadata are the report leaves the caller sets (survey, year, filters) and
// the baseline reference, which Compare checks against Options.
var metadata = regexp.MustCompile(`^(?:survey|year|filters/.*|baseline/(?:year|source))$`)

// Options describe the reports given to Compare.
type Options struct {
	// NoAgencyChange: against aggregates the agency rows have no change and
	// the expected JSON no agency block.
	NoAgencyChange bool
	// BaselineSource, when set, is the baseline source the report must name,
	// with year BaselineYear.
	BaselineSource string
	// Superseded is Case.Superseded.
	Superseded map[string]any
}

// Stats count what Compare compared.
type Stats struct {
	Compared int // expected values compared with a report value
	Nulls    int // of which null, plus report leaves checked to be null
	Leaves   int // leaves of the report "cur"
}

// Compare compares the expected JSON (refdata/expected) with flattened
// report JSON: got["cur"] is the report, got["base"] the baseline year on
// its own (for a raw baseline, whose indices are the expected "baseline"
// block). Every mismatch is reported with tb.Errorf.
func Compare(tb testing.TB, expected []byte, got map[string]map[string]any, opts Options) Stats {
	tb.Helper()
	want := FlattenJSON(tb, expected)
	for p, v := range opts.Superseded {
		if _, ok := want[p]; !ok {
			tb.Errorf("superseded field %s is not in the expected JSON", p)
		}
		want[p] = v
	}
	cur, ok := got["cur"]
	if !ok {
		tb.Fatal("indextest: no report \"cur\" to compare")
	}
	if opts.BaselineSource != "" {
		if y, s := cur["baseline/year"], cur["baseline/source"]; y != float64(BaselineYear) || s != opts.BaselineSource {
			tb.Errorf("baseline = {year %v, source %v}, want {%d, %s}", y, s, BaselineYear, opts.BaselineSource)
		}
	}
	covered := map[string]map[string]bool{"cur": {}, "base": {}}
	st := compareExpected(tb, want, got, covered)
	st.Nulls += checkCovered(tb, got, covered, opts)
	st.Leaves = len(cur)
	return st
}

// compareExpected compares every expected leaf through the mapping rules
// and marks the report leaves it compared.
func compareExpected(tb testing.TB, want map[string]any, got map[string]map[string]any, covered map[string]map[string]bool) Stats {
	tb.Helper()
	var st Stats
	rules := referenceRules()
	for _, p := range sortedKeys(want) {
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
				tb.Errorf("expected field %s is neither mapped nor ignored", p)
			}
			continue
		}
		for _, tg := range targets {
			g, ok := got[tg.report]
			if !ok {
				tb.Errorf("%s: report %q not computed", p, tg.report)
				continue
			}
			gv, ok := derived(g, tg.path)
			if !ok {
				tb.Errorf("%s: report field %s (%s) is missing", p, tg.path, tg.report)
				continue
			}
			covered[tg.report][tg.path] = true
			if err := compareValue(want[p], gv, tg.kind); err != nil {
				tb.Errorf("%s vs %s %s: %v", p, tg.report, tg.path, err)
			}
			st.Compared++
			if want[p] == nil {
				st.Nulls++
			}
		}
	}
	return st
}

// checkCovered fails on every report leaf that was not compared, unless a
// rule says why; it returns how many leaves it checked to be null.
func checkCovered(tb testing.TB, got map[string]map[string]any, covered map[string]map[string]bool, opts Options) (nulls int) {
	tb.Helper()
	for _, name := range sortedKeys(got) {
		g := got[name]
		for _, p := range sortedKeys(g) {
			v := g[p]
			switch {
			case covered[name][p]:
			case name == "base" && !strings.HasPrefix(p, "indices/") && p != "respondents":
				// The baseline year alone: only its indices are in the expected JSON.
			case name == "base" && strings.HasSuffix(p, "/change"):
				if v != nil {
					tb.Errorf("%s (base) = %v, want null without a baseline", p, v)
				}
			case checkedElsewhere.MatchString(p):
			case metadata.MatchString(p):
				// Caller-set metadata and the baseline reference, checked above.
			case opts.NoAgencyChange && strings.HasPrefix(p, "agencies/"):
				if strings.HasSuffix(p, "/change") && v != nil {
					tb.Errorf("%s = %v, want null against aggregates", p, v)
				}
			case absentMeansNull.MatchString(p):
				if v != nil && v != false {
					tb.Errorf("%s = %v, want null: the reference has no value", p, v)
				}
				nulls++
			default:
				tb.Errorf("report field %s (%s) = %v was not compared", p, name, v)
			}
		}
	}
	return nulls
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// derived returns a report leaf, or a value derived from the report for a
// path starting with "#".
func derived(g map[string]any, path string) (any, bool) {
	switch {
	case path == "#holm_family":
		// The agencies that have a p-value: Holm's family (METHODS §8).
		n := 0
		for p, v := range g {
			if unweightedAgencyP.MatchString(p) && v != nil {
				n++
			}
		}
		return float64(n), true
	}
	v, ok := g[path]
	return v, ok
}

func compareValue(want, got any, kind cmpKind) error {
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
		if d := math.Abs(g - w); d > TolAbs {
			return fmt.Errorf("got %.15g, want %.15g (|Δ| = %.3g)", g, w, d)
		}
		if kind == cmpP && w < 1e-6 && math.Abs(g-w) > PValueRel*w {
			return fmt.Errorf("got p %.15g, want %.15g (relative error above %g)", g, w, PValueRel)
		}
	case cmpVarRule:
		w, ok := VarRules[fmt.Sprint(want)]
		if !ok {
			return fmt.Errorf("unknown expected baseline_var_rule %v", want)
		}
		if got != w {
			return fmt.Errorf("baseline_var_rule %v, want %v (%v)", got, w, want)
		}
	case cmpVerdict:
		w, ok := Verdicts[fmt.Sprint(want)]
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

// StressFile is a file of testdata/stress: cases in the "partial report
// JSON" format of testdata/r/README.md, each a subset of the report JSON of
// CONTRACT.md that R computed for one `sipas report` invocation.
type StressFile struct {
	Note  string       `json:"note"`
	Cases []StressCase `json:"cases"`
}

// StressCase is one report of a stress file.
type StressCase struct {
	Name   string `json:"name"`
	Inputs struct {
		Agencies    string   `json:"agencies"`
		Populations string   `json:"populations"`
		Responses   []string `json:"responses"`
		Aggregates  string   `json:"aggregates"`
		Crosswalk   string   `json:"crosswalk"`
	} `json:"inputs"`
	// Args are the flags of `sipas report`.
	Args []string `json:"args"`
	// Report is the expected subset of the report, kept raw.
	Report json.RawMessage `json:"report"`
}

// Flag returns the value of a `sipas report` flag of the case, or "".
func (c StressCase) Flag(name string) string {
	for i := 0; i+1 < len(c.Args); i++ {
		if c.Args[i] == name {
			return c.Args[i+1]
		}
	}
	return ""
}

// relativeFields are counts above 1 whose tolerance is relative (issue 16:
// n_eff and Welch df are large numbers computed through different paths).
var relativeFields = regexp.MustCompile(`/(?:n_eff|df)$`)

// pFields are p-values (METHODS §9: relative tolerance below 1e-6 too).
var pFields = regexp.MustCompile(`/(?:p_value|p_holm|p_bh)$`)

// ComparePartial compares every leaf of an expected partial report with
// the flattened report got: numbers to TolAbs (p-values also PValueRel
// below 1e-6; n_eff and df relatively to TolAbs), nulls as nulls, strings
// and bools exactly, string lists as sets. A leaf missing from got fails.
// It returns the number of leaves compared.
func ComparePartial(tb testing.TB, name string, expected json.RawMessage, got map[string]any) int {
	tb.Helper()
	want := FlattenJSON(tb, expected)
	n := 0
	for _, p := range sortedKeys(want) {
		g, ok := got[p]
		if !ok {
			tb.Errorf("%s: %s is missing from the report", name, p)
			continue
		}
		n++
		w := want[p]
		kind := cmpExact
		switch w.(type) {
		case float64:
			kind = cmpNum
			if pFields.MatchString(p) {
				kind = cmpP
			}
		case []any:
			kind = cmpSet
		}
		if kind == cmpNum && relativeFields.MatchString(p) {
			wf, ok1 := w.(float64)
			gf, ok2 := g.(float64)
			if !ok1 || !ok2 || math.Abs(gf-wf) > TolAbs*math.Max(1, math.Abs(wf)) {
				tb.Errorf("%s: %s = %v, want %v (relative %g)", name, p, g, w, TolAbs)
			}
			continue
		}
		if err := compareValue(w, g, kind); err != nil {
			tb.Errorf("%s: %s: %v", name, p, err)
		}
	}
	return n
}
