// Package index computes the SIPAS satisfaction indices of sipas: the share of
// satisfied answers per question, the aspect indices (mean of question shares)
// and the overall index (mean of aspect indices), each on an unweighted and a
// stratified (receipts-weighted) basis, with 95 % intervals, year-on-year
// comparisons and per-agency league-table rows.
//
// Every estimator implements a section of docs/methods.md (the project's
// statement of the specification, same section numbers), cited next to the
// code as "METHODS §N". The reference numbers in testdata/refdata/expected
// and testdata/stress were produced independently with R's survey package
// (testdata/r regenerates them), and the tests hold this package to them at
// 1e-9.
//
// The package is pure: it does no I/O. The caller feeds response rows into a
// Sample (one per year, filters already applied), turns it into a Summary of
// per-agency sufficient statistics, and hands Summaries plus the receipts
// counts to Compute, which returns the Report body of CONTRACT.md.
//
// # Why sufficient statistics
//
// The linearised variance of METHODS §2–3 is a sum over respondents of the
// squared influence e_i. With the influence centred at the stratum shares, the
// sum is a quadratic form in per-stratum pair counts: for questions k and l,
//
//	N_kl = #{i: answered k and l}
//	A_kl = #{i: satisfied on k and answered l}
//	S_kl = #{i: satisfied on k and on l}
//
// so a Summary with those K×K counts per agency gives the exact variance
// without keeping respondents, merges by addition (databases, years, shards),
// and costs O(strata · K²) in Compute. Sample collects answers as column
// bitsets so that the counts are popcounts (math/bits); one million responses
// summarise in a few tens of milliseconds.
//
// # Undefined quantities
//
// Quantities that METHODS leaves undefined (an index nobody answered, the
// interval of an index with one respondent, a design effect at p ∈ {0,1}) are
// nil pointers in the Report, so they marshal as JSON null; NaN never reaches
// encoding/json.
package index
