package web

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/i18n"
	"sipas/internal/index"
	"sipas/internal/report"
)

// communesPage is the officials' view of the small-area estimates (METHODS §14): direct and
// model estimates side by side, rank ranges, verdicts against the baseline and the guards.
type communesPage struct {
	adminPage
	Form communesForm
	// SA is the report's small_area block; Rows its rows by model estimate, Tiles by name.
	SA    *index.SmallArea
	Rows  []communeRow
	Tiles []communeRow
	// Ranked counts the rows with a rank range: the K of "hạng 3–9 / K" when the viewer sees
	// every agency (Province is set).
	Ranked int
	// Province is the report's overall index (a direct estimate, not benchmarked), shown to
	// officials who see every agency.
	Province *index.Estimate
	// Bands are the lower bounds of the tiles' colour bands, for the legend.
	Bands []float64
	// Compare is set when the page compares with a baseline year.
	Compare bool
}

// communesForm is the page's query: ?year=&baseline=&level=.
type communesForm struct {
	Year     int    `query:"year"`
	Baseline string `query:"baseline"`
	Level    string `query:"level"`
}

// communeRow is one area as the page shows it.
type communeRow struct {
	index.SmallAreaRow
	Name string
	// DirectCI is the direct estimate's interval (the agency row's stratified one); nil when
	// the area has fewer than two answers.
	DirectLow, DirectHigh *float64
	// Predecessors names the baseline units the area is compared with.
	Predecessors []string
	// Band is the colour band of the model estimate (0 lowest), -1 without one.
	Band int
	// ModelLow and ModelHigh are the model interval; GammaText says γ in words ("dựa 54% vào
	// câu trả lời của chính xã này"), RankText the rank range ("hạng 3–9").
	ModelLow, ModelHigh *float64
	GammaText, RankText string
}

// communeBands are the lower bounds of the tile colours' bands 1–4 (band 0 is below 70%).
var communeBands = []float64{0.70, 0.80, 0.85, 0.90}

// handleCommunes handles "GET /admin/communes?year=&baseline=&level=commune". An agency
// official sees the row of their own agency only; the model, ranks and Holm are the
// province's.
func (s *Server) handleCommunes(c echo.Context) error {
	var f communesForm
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &f); err != nil {
		return errBadRequest("invalid_query").Say("fault.query_numbers")
	}
	f.Baseline = cmp.Or(f.Baseline, "2023")
	f.Level = cmp.Or(f.Level, dataset.LevelCommune)
	o := official(c)
	qy, err := filterForm{Year: f.Year, Baseline: f.Baseline, SmallArea: f.Level}.query(&o, calendar.ThisYear())
	if err != nil {
		return err
	}
	f.Year = qy.Year
	q, err := s.questionnaire("")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rep, err := report.Build(ctx, s.store, q, qy)
	if err != nil {
		return err
	}
	_, names, err := s.agencies(ctx)
	if err != nil {
		return err
	}
	p := communesPage{adminPage: s.newAdminPage(c, "sae.title"), Form: f, SA: rep.SmallArea, Bands: communeBands,
		Compare: qy.BaselineYear != 0}
	p.Rows, p.Ranked = communeRows(rep, names, s.locale(c), f.Level)
	p.Tiles = slices.Clone(p.Rows)
	byName := collator(s.lang(c))
	slices.SortStableFunc(p.Tiles, func(a, b communeRow) int { return byName.CompareString(a.Name, b.Name) })
	if o.Can(auth.PermViewAllAgency) {
		p.Province = overallOf(rep)
	}
	return s.render(c, http.StatusOK, "admin_communes.html", p)
}

// communeRows joins the small-area rows with the agencies' names, direct intervals and
// predecessors, ordered by model estimate (then direct estimate, then name: areas without a
// model estimate last). ranked counts the rows with a rank range: the K of the ranking when
// the rows are the whole level's.
func communeRows(rep *index.Report, names map[string]string, loc *i18n.Locale, level string) (rows []communeRow, ranked int) {
	agencies := map[string]index.AgencyRow{}
	for _, a := range rep.Agencies {
		agencies[a.Agency] = a
	}
	for _, r := range rep.SmallArea.Rows {
		row := communeRow{SmallAreaRow: r, Name: cmp.Or(names[r.Agency], r.Agency), Band: band(r.EBLUP)}
		row.words(loc, level)
		if a, ok := agencies[r.Agency]; ok {
			if st := a.Stratified; st != nil {
				row.DirectLow, row.DirectHigh = st.CILow, st.CIHigh
			}
			for _, p := range a.Predecessors {
				row.Predecessors = append(row.Predecessors, cmp.Or(names[p.Agency], p.Agency))
			}
		}
		rows = append(rows, row)
	}
	for _, r := range rep.SmallArea.Rows {
		if r.RankLow != nil {
			ranked++
		}
	}
	slices.SortStableFunc(rows, func(a, b communeRow) int {
		return cmp.Or(-cmpNullable(a.EBLUP, b.EBLUP), -cmpNullable(a.Direct, b.Direct), cmp.Compare(a.Name, b.Name))
	})
	return rows, ranked
}

// words fills the row's interval and its γ and rank range in words.
func (r *communeRow) words(loc *i18n.Locale, level string) {
	if r.CI != nil {
		r.ModelLow, r.ModelHigh = &r.CI[0], &r.CI[1]
	}
	switch {
	case r.Synthetic && r.EBLUP != nil:
		r.GammaText = loc.T("sae.gamma_synthetic")
	case r.Gamma != nil:
		r.GammaText = loc.T("sae.gamma", loc.Percent(*r.Gamma, 0), loc.T("sae.noun."+level))
	}
	switch {
	case r.RankLow == nil:
	case *r.RankLow == *r.RankHigh:
		r.RankText = loc.T("sae.rank_one", *r.RankLow)
	default:
		r.RankText = loc.T("sae.rank", *r.RankLow, *r.RankHigh)
	}
}

// cmpNullable orders numbers with nil below every number.
func cmpNullable(a, b *float64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(*a, *b)
}

// band is the colour band of a model estimate: the number of communeBands at or below it;
// -1 without an estimate.
func band(e *float64) int {
	if e == nil {
		return -1
	}
	n := 0
	for _, lo := range communeBands {
		if *e >= lo {
			n++
		}
	}
	return n
}

// collator orders names as readers of language l expect (Vietnamese: "Đ" after "D", "Tâ"
// before "Th").
func collator(l string) *collate.Collator {
	return collate.New(language.Make(l))
}

// overallOf is the report's overall index on the stratified basis (else the unweighted one).
func overallOf(rep *index.Report) *index.Estimate {
	for _, ix := range rep.Indices {
		if ix.Kind == index.KindOverall {
			return cmp.Or(ix.Stratified, ix.Unweighted)
		}
	}
	return nil
}
