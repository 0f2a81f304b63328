package report

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"sipas/internal/dataset"
	"sipas/internal/i18n"
	"sipas/internal/index"
)

// AreaLine is one area of the small-area block (METHODS §14) as officials read it: the
// direct estimate beside the model's, how much of the model estimate rests on the area's own
// answers (γ) in words, and the area's rank range from the model's mean squared errors.
type AreaLine struct {
	Agency, Name        string
	N                   int
	Direct, DLow, DHigh *float64 // the direct estimate and its 95% interval
	Model, MLow, MHigh  *float64 // the model (EBLUP or synthetic) estimate and its interval
	SE                  *float64 // √mse
	Gamma               *float64
	Synthetic           bool
	Baseline            *float64
	RankLow, RankHigh   *int
	// GammaText says γ in words ("dựa 54% vào câu trả lời của chính đơn vị này"); RankText
	// the rank range ("hạng 3–9").
	GammaText, RankText string
}

// AreaLines returns the rows of rep's small-area block, in its order (by code), and the
// number of areas ranked; nil without the block. The rank ranges are those of METHODS §12
// over the model estimates with their MSEs, among the areas of the block that have one.
func (m Meta) AreaLines(rep *index.Report) ([]AreaLine, int) {
	sa := rep.SmallArea
	if sa == nil {
		return nil, 0
	}
	out := make([]AreaLine, len(sa.Rows))
	var est, vs []float64
	var ranked []int
	for i, r := range sa.Rows {
		a := AreaLine{Agency: r.Agency, Name: m.agencyName(r.Agency), N: r.N, Direct: r.Direct, Model: r.EBLUP,
			Gamma: r.Gamma, Synthetic: r.Synthetic, Baseline: r.Baseline}
		if r.Direct != nil && r.DirectVar != nil {
			a.DLow, a.DHigh = index.NormalInterval(*r.Direct, *r.DirectVar)
		}
		if r.CI != nil {
			a.MLow, a.MHigh = &r.CI[0], &r.CI[1]
		}
		if r.MSE != nil {
			se := math.Sqrt(*r.MSE)
			a.SE = &se
		}
		a.GammaText = m.gammaText(rep.SmallArea.Level, r)
		if r.EBLUP != nil && r.MSE != nil {
			est, vs, ranked = append(est, *r.EBLUP), append(vs, *r.MSE), append(ranked, i)
		}
		out[i] = a
	}
	lo, hi := index.RankRanges(est, vs)
	for j, i := range ranked {
		out[i].RankLow, out[i].RankHigh = &lo[j], &hi[j]
		out[i].RankText = m.rankText(&lo[j], &hi[j])
	}
	return out, len(ranked)
}

// gammaText says how much of an area's model estimate comes from its own answers.
func (m Meta) gammaText(level string, r index.SmallAreaRow) string {
	unit := m.t("report.sae.unit." + level)
	switch {
	case r.Synthetic:
		return m.t("report.sae.gamma_synthetic", unit)
	case r.Gamma == nil:
		return "–"
	case *r.Gamma >= 1:
		return m.t("report.sae.gamma_census", unit)
	}
	return m.t("report.sae.gamma", m.loc().Percent(*r.Gamma, 0), unit)
}

// byModel orders area lines as a table of ranks is read: highest model estimate first, areas
// without one last, ties by code.
func byModel(lines []AreaLine) []AreaLine {
	out := slices.Clone(lines)
	slices.SortStableFunc(out, func(a, b AreaLine) int {
		switch {
		case a.Model == nil && b.Model == nil:
			return strings.Compare(a.Agency, b.Agency)
		case a.Model == nil:
			return 1
		case b.Model == nil:
			return -1
		}
		if c := cmp.Compare(*b.Model, *a.Model); c != 0 {
			return c
		}
		return strings.Compare(a.Agency, b.Agency)
	})
	return out
}

// SmallAreaWarnings says in plain words each guard of the model that fired (METHODS §14).
func (m Meta) SmallAreaWarnings(sa *index.SmallArea) []string {
	if sa == nil {
		return nil
	}
	out := make([]string, len(sa.Warnings))
	for i, w := range sa.Warnings {
		if w == index.WarnFewAreas {
			out[i] = m.t("report.sae.warn."+string(w), index.MinSmallAreas)
		} else {
			out[i] = m.t("report.sae.warn." + string(w))
		}
	}
	return out
}

// SmallAreaSummary says what the model is, over how many areas, and what it assumes.
func (m Meta) SmallAreaSummary(rep *index.Report) []string {
	sa := rep.SmallArea
	if sa == nil {
		return nil
	}
	out := []string{m.t("report.sae.what", i18n.UpperFirst(m.t(dataset.LevelKey(sa.Level, rep.Year))), sa.AreasInModel, len(sa.Rows))}
	if len(sa.Covariates) > 1 {
		out = append(out, m.t("report.sae.covariate_baseline"))
	} else {
		out = append(out, m.t("report.sae.covariate_none"))
	}
	return append(out, m.t("report.sae.assumes"), m.t("report.sae.rank"))
}

// SmallAreaCSVColumns are the columns of the small-area table, in order.
var SmallAreaCSVColumns = []string{
	"agency", "agency_name", "n", "direct_pct", "direct_ci_low_pct", "direct_ci_high_pct",
	"model_pct", "model_ci_low_pct", "model_ci_high_pct", "model_se_pct", "gamma", "synthetic",
	"rank_low", "rank_high", "baseline_pct",
}

// smallAreaRecords are the rows of the small-area table, by code; none without the block.
func smallAreaRecords(rep *index.Report, m Meta) [][]field {
	lines, _ := m.AreaLines(rep)
	out := make([][]field, len(lines))
	for i, a := range lines {
		out[i] = []field{text(a.Agency), text(a.Name), intF(a.N), pctF(a.Direct), pctF(a.DLow), pctF(a.DHigh),
			pctF(a.Model), pctF(a.MLow), pctF(a.MHigh), pctF(a.SE), decF(a.Gamma, 6), code(strconv.FormatBool(a.Synthetic)),
			intP(a.RankLow), intP(a.RankHigh), pctF(a.Baseline)}
	}
	return out
}
