package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"sipas/internal/index"
	"sipas/internal/survey"
)

// Counting a survey's summaries again from its rows: when the questionnaire in use has another
// design than the one stored, when a report finds none (a database from before migration
// 0008), and for `sipas verify --repair`. The rows are read on a reader, without blocking
// submissions; a short write transaction then counts the rows stored since, replaces the
// survey's summaries and records the design.

// ErrImportedDesign is a questionnaire design other than the one summaries imported from other
// databases were counted for: they cannot be counted again here, as their rows are elsewhere.
var ErrImportedDesign = errors.New("store: the summaries imported from other databases were counted for another questionnaire design; import them again from databases that use this questionnaire")

// notCounted is the SQL condition (over responses r) of rows that are not in the summaries of
// this database: those of a running import, counted only when it is done (?1 its watermark),
// and those of agencies whose summaries were imported from another database.
const notCounted = `((r.source = 'import' AND r.id > ?1) OR r.agency_id IN (SELECT agency_id FROM summary_imports))`

// runningWatermark is the watermark of the running import, or MaxInt64 when none runs.
func runningWatermark(ctx context.Context, q queryer) (int64, error) {
	var w sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT min(watermark) FROM import_runs WHERE state = 'running'`).Scan(&w); err != nil {
		return 0, fmt.Errorf("store: import runs: %w", err)
	}
	if !w.Valid {
		return math.MaxInt64, nil
	}
	return w.Int64, nil
}

// countRows counts into t the rows of survey with from < id <= to that are counted in the
// summaries (notCounted), on q (a read or write transaction).
func countRows(ctx context.Context, q querier, c *counting, t *tally, surveyID string, watermark, from, to int64) error {
	rows, err := q.QueryContext(ctx, `SELECT r.agency_id, r.channel, r.year, r.month, r.answers, r.expectations FROM responses r
		WHERE r.survey_id = ?2 AND r.id > ?3 AND r.id <= ?4 AND NOT `+notCounted, watermark, surveyID, from, to)
	if err != nil {
		return fmt.Errorf("store: count summaries: %w", err)
	}
	defer rows.Close()
	k := summaryKey{survey: surveyID}
	t.use(surveyID, c)
	var answers, exp string
	for rows.Next() {
		if err := rows.Scan(&k.agencyID, &k.channel, &k.year, &k.month, &answers, &exp); err != nil {
			return fmt.Errorf("store: count summaries: %w", err)
		}
		if err := t.addStored(k, answers, exp); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: count summaries: %w", err)
	}
	return nil
}

// snapshotCount is a survey's rows counted on one read transaction.
type snapshotCount struct {
	tally     *tally
	upTo      int64 // max(responses.id) of the snapshot
	watermark int64 // of the import running then (MaxInt64: none)
}

// countSnapshot counts the rows of surveyID for design c in the read transaction tx.
func countSnapshot(ctx context.Context, tx *sql.Tx, c *counting, surveyID string) (snapshotCount, error) {
	sc := snapshotCount{tally: newTally()}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM responses`).Scan(&sc.upTo); err != nil {
		return sc, fmt.Errorf("store: count summaries: %w", err)
	}
	var err error
	if sc.watermark, err = runningWatermark(ctx, tx); err != nil {
		return sc, err
	}
	return sc, countRows(ctx, tx, c, sc.tally, surveyID, sc.watermark, 0, sc.upTo)
}

// readTx runs fn in one read transaction on the readers: one snapshot of the database.
func (s *Store) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// errSnapshotStale says an import started or ended between the snapshot and the write.
var errSnapshotStale = errors.New("store: an import started or ended while counting")

// CountSummaries counts the summaries of survey surveyID again from its rows for design d and
// replaces the stored ones (those of agencies imported from other databases stay). It returns
// how many rows it counted. Submissions go on meanwhile: the rows are read on a snapshot, and
// only those stored since are counted in the short write transaction that replaces the table.
func (s *Store) CountSummaries(ctx context.Context, surveyID string, d index.Design) (int, error) {
	c := newCounting(d, designText(d))
	for attempt := 0; ; attempt++ {
		n, err := s.countSummaries(ctx, surveyID, c)
		if !errors.Is(err, errSnapshotStale) || attempt == 3 {
			return n, err
		}
	}
}

func (s *Store) countSummaries(ctx context.Context, surveyID string, c *counting) (int, error) {
	start := time.Now()
	var sc snapshotCount
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		sc, err = countSnapshot(ctx, tx, c, surveyID)
		return err
	})
	if err != nil {
		return 0, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		w, err := runningWatermark(ctx, tx)
		if err != nil {
			return err
		}
		if w != sc.watermark {
			return errSnapshotStale
		}
		if err := checkImportedDesign(ctx, tx, surveyID, c); err != nil {
			return err
		}
		if err := countRows(ctx, tx, c, sc.tally, surveyID, w, sc.upTo, math.MaxInt64); err != nil {
			return err
		}
		return replaceSummaries(ctx, tx, surveyID, c, sc.tally, now)
	})
	if err != nil {
		return 0, err
	}
	n := sc.tally.respondents()
	s.log.Info("counted summaries from the responses", "survey", surveyID, "responses", n, "keys", len(sc.tally.cells),
		"ms", time.Since(start).Milliseconds())
	return n, nil
}

// checkImportedDesign refuses to count a survey for another design than the stored one while
// some of its summaries were imported: those could not be counted again.
func checkImportedDesign(ctx context.Context, tx *sql.Tx, surveyID string, c *counting) error {
	var stored string
	var imported int
	err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT design FROM summary_designs WHERE survey_id = ?1), ''),
		(SELECT count(*) FROM summaries WHERE survey_id = ?1 AND agency_id IN (SELECT agency_id FROM summary_imports))`, surveyID).
		Scan(&stored, &imported)
	if err != nil {
		return fmt.Errorf("store: count summaries: %w", err)
	}
	if imported > 0 && stored != c.text {
		return ErrImportedDesign
	}
	return nil
}

// replaceSummaries makes t the summaries of surveyID (but those of imported agencies) and c
// their design.
func replaceSummaries(ctx context.Context, tx *sql.Tx, surveyID string, c *counting, t *tally, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM summaries WHERE survey_id = ? AND agency_id NOT IN (SELECT agency_id FROM summary_imports)`,
		surveyID); err != nil {
		return fmt.Errorf("store: count summaries: %w", err)
	}
	if err := setDesign(ctx, tx, surveyID, c, now); err != nil {
		return err
	}
	return t.flush(ctx, txStmts{tx: tx})
}

// setDesign records c as the design of surveyID's summaries.
func setDesign(ctx context.Context, tx *sql.Tx, surveyID string, c *counting, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO summary_designs (survey_id, design, counted_at) VALUES (?, ?, ?)
		ON CONFLICT (survey_id) DO UPDATE SET design = excluded.design, counted_at = excluded.counted_at`, surveyID, c.text, formatTime(now))
	if err != nil {
		return fmt.Errorf("store: summary design: %w", err)
	}
	return nil
}

// respondents is the number of rows the tally counted.
func (t *tally) respondents() int {
	n := 0
	for _, cl := range t.cells {
		n += cl.st.Respondents
	}
	return n
}

// EnsureSummaries makes the summaries of each questionnaire count for its design, counting
// them again from the rows where they count for another one or were never counted. `serve`
// calls it at start, so that the first report does not wait for it.
func (s *Store) EnsureSummaries(ctx context.Context, qs ...*survey.Questionnaire) error {
	for _, q := range qs {
		d := index.DesignOf(q)
		c, err := s.storedDesign(ctx, s.r, q.ID)
		if err != nil {
			return err
		}
		if c != nil && c.text == designText(d) {
			continue
		}
		if _, err := s.CountSummaries(ctx, q.ID, d); err != nil {
			return err
		}
	}
	return nil
}
