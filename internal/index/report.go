package index

// The types below marshal with encoding/json to the report JSON of
// CONTRACT.md. Quantities that can be undefined are pointers, so nil
// marshals as null; shape-dependent fields (n_eff and deff of stratified
// questions, dropped_questions of aspects and the overall index) live in
// embedded pointer structs, which encoding/json omits entirely when nil.
// Fields beyond CONTRACT.md are marked "extra" below.

// Report is the body of a report (CONTRACT.md "Report JSON"). Compute fills
// everything except Survey, Year and Filters, which describe the request and
// are the caller's to set.
type Report struct {
	Survey          string       `json:"survey"`
	Year            int          `json:"year"`
	Baseline        *BaselineRef `json:"baseline"` // nil without a baseline
	ConfidenceLevel float64      `json:"confidence_level"`
	Filters         Filters      `json:"filters"`
	// Respondents counts every response row in scope, blank forms included
	// (METHODS §10); each index has its own n.
	Respondents int `json:"respondents"`
	// Indices lists every question in Design order, then every aspect, then
	// the overall index.
	Indices []Index `json:"indices"`
	// Agencies has one row per agency of the sample in scope, sorted by
	// code. The rows, their Holm adjustment and rank ranges are those of the
	// unfiltered report (METHODS §12): a filter only chooses which rows are
	// shown.
	Agencies []AgencyRow `json:"agencies"`
	// AgencyFamily (extra) sizes the families of the agency rows, which a
	// filtered report cannot count from the rows it shows: what a page says
	// as "Holm over m agencies" and "rank among K".
	AgencyFamily AgencyFamily `json:"agency_family"`
	// SmallArea holds the model-based estimates of METHODS §14 when the
	// report asks for a small-area level; absent otherwise.
	SmallArea *SmallArea `json:"small_area,omitempty"`
}

// AgencyFamily counts the agencies of the unfiltered report that the
// agency rows' adjustment and rank ranges are over (METHODS §12).
type AgencyFamily struct {
	// Agencies is the number of agency rows of the unfiltered report.
	Agencies int `json:"agencies"`
	// Ranked is K, the agencies with a stratified estimate: the rank
	// ranges run from 1 to K.
	Ranked int `json:"ranked"`
	// Holm is m, the stratified agency changes with a p-value: the family
	// of their Holm adjustment; 0 without a raw baseline.
	Holm int `json:"holm"`
}

// BaselineRef names the baseline a report compares with.
type BaselineRef struct {
	Year   int    `json:"year"`
	Source string `json:"source"` // SourceResponses or SourceAggregates
}

// Filters echoes the subset of responses a report covers; nil is "all".
type Filters struct {
	Agency  *string `json:"agency"`
	Level   *string `json:"level"`
	Channel *string `json:"channel"`
}

// Index is one question, aspect or the overall index on both bases.
type Index struct {
	ID     string `json:"id"` // question code, aspect id or "overall"
	Kind   Kind   `json:"kind"`
	Aspect string `json:"aspect,omitempty"` // questions only
	// Unweighted is never nil; its fields are null when nobody answered.
	Unweighted *Estimate `json:"unweighted"`
	// Stratified is nil when a stratum of the sample lacks its receipts
	// count, so no receipts weighting exists.
	Stratified *Estimate `json:"stratified"`
	// Change is nil without a baseline.
	Change *IndexChange `json:"change"`
}

// Estimate is an index on one basis. Proportions are fractions in [0, 1].
type Estimate struct {
	Value  *float64 `json:"estimate"`
	SE     *float64 `json:"se"`
	CILow  *float64 `json:"ci_low"`
	CIHigh *float64 `json:"ci_high"`
	// N is the size of the index's analysis sample: the respondents who
	// answered at least one of its questions (METHODS §0).
	N int `json:"n"`
	// Indicative (extra) is the precision flag of METHODS §12–13, set on
	// stratified estimates only: the interval is wider than ±5 points, the
	// variance is 0 from a sample, or the strata that carry most of the
	// weight have fewer than 30 answers.
	Indicative *bool `json:"indicative,omitempty"`
	// DesignEffect is set for stratified question estimates only.
	*DesignEffect
	// Composition is set for aspect and overall estimates only.
	*Composition
}

// DesignEffect carries the effective sample size behind the interval of a
// stratified question share and its design effect (METHODS §2).
type DesignEffect struct {
	NEff *float64 `json:"n_eff"`
	// Deff is survey's deff against SRSWOR of the same n; nil when p is 0
	// or 1 (METHODS §10) or n < 2.
	Deff *float64 `json:"deff"`
}

// Composition lists the questions an aspect or overall index left out
// because nobody answered them that year (METHODS §3). It is never nil
// inside an Estimate, so it marshals as [] rather than null.
type Composition struct {
	DroppedQuestions []string `json:"dropped_questions"`
}

// IndexChange compares an index with the baseline on both bases.
type IndexChange struct {
	Unweighted *Change `json:"unweighted"`
	// Stratified is nil when either year lacks the stratified estimate.
	Stratified *Change `json:"stratified"`
}

// Change is this year's index minus the baseline's (METHODS §5–6).
type Change struct {
	Diff *float64 `json:"diff"`
	// SE is √(V1+V0); nil for the Newcombe interval of an unweighted
	// question, which has none (METHODS §10).
	SE      *float64 `json:"se"`
	CILow   *float64 `json:"ci_low"`
	CIHigh  *float64 `json:"ci_high"`
	PValue  *float64 `json:"p_value"`
	Verdict Verdict  `json:"verdict"` // follows the interval (METHODS §1)
	// BaselineEstimate and BaselineN are the baseline year's estimate and
	// n on the same basis, or the published values of an aggregate
	// baseline (METHODS §10).
	BaselineEstimate *float64 `json:"baseline_estimate"`
	BaselineN        *float64 `json:"baseline_n"`
	// BaselineVarRule says where the variance of an aggregate baseline
	// comes from (METHODS §6, §13): VarPublished, VarBorrowed or
	// VarBinomial; null for a raw baseline and for Newcombe, which needs no
	// baseline variance.
	BaselineVarRule *string `json:"baseline_var_rule"`
	// DF (extra) is the Welch degrees of freedom; nil for z and Newcombe.
	DF *float64 `json:"df"`
	// PCIDiscordant (extra) flags a p-value on the other side of 0.05 from
	// the verdict, which can happen only for Newcombe, whose p comes from a
	// different (pooled score) test (METHODS §1).
	PCIDiscordant bool `json:"p_ci_discordant"`
	// Adjustment is set on the changes that belong to a family of
	// comparisons: questions (one family per basis) and agency rows (all
	// agencies of the report, whatever the filter). It is nil, and left out
	// of the JSON, for aspects and the overall index, whose verdict is the
	// interval's (METHODS §12).
	*Adjustment
}

// Adjustment is the multiplicity adjustment of one change over its family
// (METHODS §8, §12): Holm for the verdict officials read, BH (extra) for
// false-discovery-rate screening. A change without a p-value is not in the
// family and reads insufficient data.
type Adjustment struct {
	PHolm       *float64 `json:"p_holm"`
	VerdictHolm Verdict  `json:"verdict_holm"`
	PBH         *float64 `json:"p_bh"`
	VerdictBH   Verdict  `json:"verdict_bh"`
}

// The baseline variance rules of an aggregate baseline (CONTRACT.md).
const (
	VarPublished = "published" // the published standard error
	VarBorrowed  = "borrowed"  // this year's variance-to-binomial ratio (METHODS §6)
	VarBinomial  = "binomial"  // e0(1−e0)/n0, when this year's estimate is 0 or 1
)

// AgencyRow is one agency's overall index: on the unweighted basis with its
// own t interval and change (METHODS §10), and on the stratified basis over
// its own stratum with the change from its predecessors (METHODS §11–12).
type AgencyRow struct {
	Agency   string   `json:"agency"`
	N        int      `json:"n"`
	Estimate *float64 `json:"estimate"`
	CILow    *float64 `json:"ci_low"`
	CIHigh   *float64 `json:"ci_high"`
	// Indicative (extra) is the precision flag of METHODS §12–13 on the
	// basis officials read: the stratified one when it exists.
	Indicative bool `json:"indicative"`
	// Change is the unweighted change; nil unless the baseline is raw
	// responses. Its difference is null, with insufficient data, when the
	// agency's predecessors include another unit (METHODS §11).
	Change *AgencyChange `json:"change"`
	// Stratified is nil when the report year lacks a receipts count for
	// a stratum with answers.
	Stratified *AgencyStratified `json:"stratified"`
	// Predecessors are the baseline strata of the agency (METHODS §11),
	// [] without a raw baseline.
	Predecessors []Predecessor `json:"predecessors"`
}

// AgencyChange is an agency's change with its adjustment over all agencies
// of the report.
type AgencyChange struct {
	Change
}

// AgencyStratified is an agency's overall index on the stratified basis
// over its own stratum, its rank range among the report's agencies and its
// change from its predecessors' baseline (METHODS §11–12).
type AgencyStratified struct {
	Estimate *float64 `json:"estimate"`
	SE       *float64 `json:"se"`
	CILow    *float64 `json:"ci_low"`
	CIHigh   *float64 `json:"ci_high"`
	N        int      `json:"n"`
	// RankLow and RankHigh are the joint 95% rank range of Klein, Wright &
	// Wieczorek (2020), 1 = best; nil without an estimate.
	RankLow  *int `json:"rank_low"`
	RankHigh *int `json:"rank_high"`
	// Indicative (extra) is the precision flag of METHODS §12–13.
	Indicative bool `json:"indicative"`
	// Change is nil unless the baseline is raw responses.
	Change *AgencyChange `json:"change"`
	// rankVar is the variance the rank range uses: NaN when unknown or 0
	// from a sample.
	rankVar float64
}
