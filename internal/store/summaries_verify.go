package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"sipas/internal/index"
	"sipas/internal/survey"
)

// SummaryCheck is what VerifySummaries found for one questionnaire.
type SummaryCheck struct {
	Survey    string
	Responses int // rows counted (those of a running import and of imported agencies excluded)
	Keys      int // summary rows compared
	// Problems says, one line each, where the stored summaries differ from the rows; empty
	// when they are exact.
	Problems []string
}

// VerifySummaries recounts the summaries of q's survey from its rows, on one snapshot of the
// database (submissions go on meanwhile), and compares them with the stored ones key by key.
// Summaries counted for another design than q's, or missing, are one problem.
func (s *Store) VerifySummaries(ctx context.Context, q *survey.Questionnaire) (SummaryCheck, error) {
	d := index.DesignOf(q)
	text := designText(d)
	chk := SummaryCheck{Survey: q.ID}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		c, err := s.storedDesign(ctx, tx, q.ID)
		if err != nil {
			return err
		}
		if c == nil || c.text != text {
			sc, err := countSnapshot(ctx, tx, newCounting(d, text), q.ID)
			if chk.Responses = sc.tally.respondents(); c != nil || chk.Responses > 0 {
				chk.Problems = append(chk.Problems, "the summaries are not counted for this questionnaire's design (none, or another version's)")
			}
			return err
		}
		sc, err := countSnapshot(ctx, tx, c, q.ID)
		if err != nil {
			return err
		}
		chk.Responses = sc.tally.respondents()
		stored, err := storedCells(ctx, tx, c, q.ID)
		if err != nil {
			return err
		}
		chk.Keys = len(stored)
		chk.Problems, err = compareCells(ctx, tx, sc.tally.cells, stored)
		return err
	})
	return chk, err
}

// RepairSummaries counts q's summaries again from the rows (CountSummaries) and verifies them.
func (s *Store) RepairSummaries(ctx context.Context, q *survey.Questionnaire) (SummaryCheck, error) {
	if _, err := s.CountSummaries(ctx, q.ID, index.DesignOf(q)); err != nil {
		return SummaryCheck{}, err
	}
	return s.VerifySummaries(ctx, q)
}

// storedCells reads the stored summaries of surveyID counted here (not imported), decoded for c.
func storedCells(ctx context.Context, tx *sql.Tx, c *counting, surveyID string) (map[summaryKey]*summaryCell, error) {
	rows, err := tx.QueryContext(ctx, `SELECT year, agency_id, channel, month, counts, expectations FROM summaries
		WHERE survey_id = ? AND agency_id NOT IN (SELECT agency_id FROM summary_imports)`, surveyID)
	if err != nil {
		return nil, fmt.Errorf("store: verify summaries: %w", err)
	}
	defer rows.Close()
	out := map[summaryKey]*summaryCell{}
	for rows.Next() {
		k := summaryKey{survey: surveyID}
		var blob []byte
		var exp string
		if err := rows.Scan(&k.year, &k.agencyID, &k.channel, &k.month, &blob, &exp); err != nil {
			return nil, fmt.Errorf("store: verify summaries: %w", err)
		}
		cl := &summaryCell{exp: map[string]int{}}
		if cl.st, err = c.counter.DecodeStratum("", blob); err != nil {
			return nil, fmt.Errorf("store: verify summaries %d agency %d %s month %d: %w", k.year, k.agencyID, k.channel, k.month, err)
		}
		if err := addExpectations(cl.exp, exp); err != nil {
			return nil, err
		}
		out[k] = cl
	}
	return out, rows.Err()
}

// compareCells lists the keys where the recount (want) and the stored cells (got) differ.
func compareCells(ctx context.Context, tx *sql.Tx, want, got map[summaryKey]*summaryCell) ([]string, error) {
	codes, err := agencyCodes(ctx, tx)
	if err != nil {
		return nil, err
	}
	keys := slices.Collect(maps.Keys(want))
	for k := range got {
		if want[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareKeys)
	var out []string
	for _, k := range keys {
		w, g := want[k], got[k]
		where := fmt.Sprintf("%d %s %s month %d", k.year, codes[k.agencyID], k.channel, k.month)
		switch {
		case g == nil:
			out = append(out, fmt.Sprintf("%s: %d responses have no summary", where, w.st.Respondents))
		case w == nil:
			out = append(out, fmt.Sprintf("%s: a summary of %d responses that are not stored", where, g.st.Respondents))
		case !w.st.Equal(&g.st):
			out = append(out, fmt.Sprintf("%s: the counts differ (%d responses stored, %d in the summary)", where, w.st.Respondents, g.st.Respondents))
		case formatExpectations(w.exp) != formatExpectations(g.exp):
			out = append(out, fmt.Sprintf("%s: the expectation counts differ (%s stored, %s in the summary)", where, formatExpectations(w.exp), formatExpectations(g.exp)))
		}
	}
	return out, nil
}

// agencyCodes maps agency ids to codes, in tx.
func agencyCodes(ctx context.Context, tx *sql.Tx) (map[int64]string, error) {
	ids, err := agencyIDs(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(ids))
	for code, id := range ids {
		out[id] = code
	}
	return out, nil
}

// countedReceipts is receipt_counts as a count of the receipts table gives it.
const countedReceipts = `SELECT agency_id, year, CASE WHEN source = 'minted' THEN coalesce(minted_day, '') ELSE '' END AS day,
	count(*) AS receipts, count(answered_at) AS answered FROM receipts GROUP BY 1, 2, 3`

// VerifyReceiptCounts compares the kept receipt counts (stratum sizes, response rates) with a
// count of the receipts, on one snapshot, and says where they differ.
func (s *Store) VerifyReceiptCounts(ctx context.Context) ([]string, error) {
	return queryAll(ctx, s.r, "verify receipt counts", `WITH real AS (`+countedReceipts+`)
		SELECT a.code, x.year, x.day, x.rr, x.ra, x.kr, x.ka FROM (
			SELECT r.agency_id, r.year, r.day, r.receipts AS rr, r.answered AS ra, coalesce(c.receipts, 0) AS kr, coalesce(c.answered, 0) AS ka
			FROM real r LEFT JOIN receipt_counts c ON c.agency_id = r.agency_id AND c.year = r.year AND c.day = r.day
			UNION ALL
			SELECT c.agency_id, c.year, c.day, 0, 0, c.receipts, c.answered FROM receipt_counts c
			WHERE NOT EXISTS (SELECT 1 FROM real r WHERE r.agency_id = c.agency_id AND r.year = c.year AND r.day = c.day)
		) x JOIN agencies a ON a.id = x.agency_id WHERE x.rr != x.kr OR x.ra != x.ka ORDER BY a.code, x.year, x.day`, nil,
		func(r scanner) (string, error) {
			var code, day string
			var year, rr, ra, kr, ka int
			err := r.Scan(&code, &year, &day, &rr, &ra, &kr, &ka)
			if day != "" {
				day = " minted " + day
			}
			return fmt.Sprintf("receipts %d %s%s: %d receipts (%d answered) stored, %d (%d) counted", year, code, day, rr, ra, kr, ka), err
		})
}

// RepairReceiptCounts replaces the kept receipt counts with a count of the receipts, in one
// write transaction (it reads every receipt: about a second a million).
func (s *Store) RepairReceiptCounts(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx, _ time.Time) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM receipt_counts`); err != nil {
			return fmt.Errorf("store: repair receipt counts: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO receipt_counts (agency_id, year, day, receipts, answered) `+countedReceipts); err != nil {
			return fmt.Errorf("store: repair receipt counts: %w", err)
		}
		return nil
	})
}
