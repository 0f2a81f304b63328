package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"sipas/internal/index"
	"sipas/internal/report"
	"sipas/internal/survey"
)

// YearCounts reads one year's summaries of a survey into the report's counts: every agency
// over every channel, the counts of channel when it is not "", both month by month, and the
// expectation choices of the channel's respondents per agency. It reads a few rows per agency,
// channel and month, never the responses; its result equals YearCountsFromRows.
//
// When the survey's summaries were counted for another design than q's, or not at all yet,
// they are first counted again from the rows for q's design (CountSummaries).
func (s *Store) YearCounts(ctx context.Context, q *survey.Questionnaire, year int, channel string) (*report.YearCounts, error) {
	d := index.DesignOf(q)
	text := designText(d)
	for attempt := 0; ; attempt++ {
		var yc *report.YearCounts
		stale := false
		err := s.readTx(ctx, func(tx *sql.Tx) error {
			c, err := s.storedDesign(ctx, tx, q.ID)
			if err != nil || c == nil || c.text != text {
				stale = err == nil
				return err
			}
			yc, err = readYearCounts(ctx, tx, c, q.ID, year, channel)
			return err
		})
		if err != nil || !stale {
			return yc, err
		}
		if attempt > 0 {
			return nil, fmt.Errorf("store: year counts: the summaries of %s changed design while being read", q.ID)
		}
		if s.readOnly {
			// A report on a database it may not write (sipas report): count from the rows.
			return s.YearCountsFromRows(ctx, q, year, channel)
		}
		if _, err := s.CountSummaries(ctx, q.ID, d); err != nil {
			return nil, err
		}
	}
}

// yearAssembly builds a report's YearCounts from summary rows.
type yearAssembly struct {
	yc      *report.YearCounts
	design  index.Design
	channel string
	months  map[int]*report.MonthCounts
}

func newYearAssembly(d index.Design, channel string) *yearAssembly {
	a := &yearAssembly{design: d, channel: channel, months: map[int]*report.MonthCounts{},
		yc: &report.YearCounts{Full: index.NewSummary(d), Expectations: map[string]map[string]int{}}}
	if channel != "" {
		a.yc.Domain = index.NewSummary(d)
	}
	return a
}

// add counts one summary row of agency code.
func (a *yearAssembly) add(st *index.Stratum, channel string, month int, exp map[string]int) {
	m := a.months[month]
	if m == nil {
		m = &report.MonthCounts{Month: month, Full: index.NewSummary(a.design)}
		if a.channel != "" {
			m.Domain = index.NewSummary(a.design)
		}
		a.months[month] = m
	}
	a.yc.Full.AddStratum(st)
	m.Full.AddStratum(st)
	if a.channel != "" && channel != a.channel {
		return
	}
	if a.channel != "" {
		a.yc.Domain.AddStratum(st)
		m.Domain.AddStratum(st)
	}
	for o, n := range exp {
		if n == 0 {
			continue
		}
		e := a.yc.Expectations[st.Code]
		if e == nil {
			e = map[string]int{}
			a.yc.Expectations[st.Code] = e
		}
		e[o] += n
	}
}

func (a *yearAssembly) result() *report.YearCounts {
	for _, month := range slices.Sorted(maps.Keys(a.months)) {
		a.yc.Months = append(a.yc.Months, *a.months[month])
	}
	return a.yc
}

// readYearCounts reads the summaries of one survey and year, counted for c, in tx.
func readYearCounts(ctx context.Context, tx *sql.Tx, c *counting, surveyID string, year int, channel string) (*report.YearCounts, error) {
	// In the key's index order: ordering by code would sort the counts through a temporary
	// B-tree on disk. Summary.AddStratum keeps the strata in code order anyway.
	rows, err := tx.QueryContext(ctx, `SELECT a.code, s.channel, s.month, s.counts, s.expectations
		FROM summaries s JOIN agencies a ON a.id = s.agency_id WHERE s.survey_id = ? AND s.year = ?`, surveyID, year)
	if err != nil {
		return nil, fmt.Errorf("store: year counts: %w", err)
	}
	defer rows.Close()
	a := newYearAssembly(c.design, channel)
	var code, ch, exp string
	var month int
	var blob []byte
	for rows.Next() {
		if err := rows.Scan(&code, &ch, &month, &blob, &exp); err != nil {
			return nil, fmt.Errorf("store: year counts: %w", err)
		}
		st, err := c.counter.DecodeStratum(code, blob)
		if err != nil {
			return nil, fmt.Errorf("store: year counts of %s %d, agency %s: %w", surveyID, year, code, err)
		}
		m := map[string]int{}
		if err := addExpectations(m, exp); err != nil {
			return nil, err
		}
		a.add(&st, ch, month, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: year counts: %w", err)
	}
	return a.result(), nil
}
