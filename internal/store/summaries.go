package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"sipas/internal/calendar"
	"sipas/internal/index"
	"sipas/internal/survey"
)

// Summaries (migration 0008): the sufficient statistics of every (survey, year, agency,
// channel, month), kept exact in the transactions that store response rows, so that a report
// reads a few thousand small rows whatever the number of responses. A transaction counts its
// rows into a tally in memory and adds it to the table once, one upsert per key, before it
// commits; the counts of a survey are those of its design (summary_designs).

// summaryKey is the key of one row of summaries.
type summaryKey struct {
	survey   string
	year     int
	agencyID int64
	channel  string
	month    int
}

func compareKeys(a, b summaryKey) int {
	return cmp.Or(strings.Compare(a.survey, b.survey), cmp.Compare(a.year, b.year), cmp.Compare(a.agencyID, b.agencyID),
		strings.Compare(a.channel, b.channel), cmp.Compare(a.month, b.month))
}

// summaryCell is the counts of one key.
type summaryCell struct {
	st  index.Stratum
	exp map[string]int // option code → respondents who chose it
}

// counting is a design rows are counted for, with what decoding stored answers needs. It is
// shared and never changed: counter only decodes and makes strata; a tally counts with a
// Counter of its own.
type counting struct {
	design  index.Design
	text    string // its stored form
	counter *index.Counter
	pos     map[string]int // question code → position
}

// newCounting prepares the counting of design d, whose stored form is text.
func newCounting(d index.Design, text string) *counting {
	pos := make(map[string]int, len(d.Questions))
	for i, q := range d.Questions {
		pos[q] = i
	}
	return &counting{design: d, text: text, counter: index.NewCounter(d), pos: pos}
}

// designText is the stored form of a design: JSON of its question codes and aspects.
func designText(d index.Design) string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return string(b)
}

// designs caches parsed designs by their stored text: the batcher looks its survey's design up
// in every transaction (another process may have counted the summaries again), and parsing it
// each time would cost more than the lookup.
type designs struct {
	mu sync.Mutex
	m  map[string]*counting
}

// get returns the counting of a stored design text.
func (ds *designs) get(text string) (*counting, error) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if c, ok := ds.m[text]; ok {
		return c, nil
	}
	var d index.Design
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return nil, fmt.Errorf("store: summary design %q: %w", text, err)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("store: summary design: %w", err)
	}
	if ds.m == nil {
		ds.m = map[string]*counting{}
	}
	c := newCounting(d, text)
	ds.m[text] = c
	return c, nil
}

const qSummaryDesign = `SELECT design FROM summary_designs WHERE survey_id = ?`

// storedDesign returns the design a survey's summaries are counted for, or nil when the survey
// has none yet (its rows are then counted when a report first needs them).
func (s *Store) storedDesign(ctx context.Context, q queryer, surveyID string) (*counting, error) {
	var text string
	err := q.QueryRowContext(ctx, qSummaryDesign, surveyID).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: summary design: %w", err)
	}
	return s.designs.get(text)
}

// tally is counts of rows not yet added to the table, per key, each survey's for the design
// its summaries are counted for.
type tally struct {
	cells   map[summaryKey]*summaryCell
	designs map[string]*tallyDesign // by survey; nil: the survey has no summaries, its rows are not counted
}

// tallyDesign is a survey's design with the tally's own Counter and scratch answers (neither
// is safe for concurrent use, and tallies are filled concurrently).
type tallyDesign struct {
	*counting
	add     *index.Counter
	answers []uint8
}

func newTally() *tally {
	return &tally{cells: map[summaryKey]*summaryCell{}, designs: map[string]*tallyDesign{}}
}

// use says the rows of surveyID are counted for c (nil: not counted).
func (t *tally) use(surveyID string, c *counting) {
	if c == nil {
		t.designs[surveyID] = nil
		return
	}
	t.designs[surveyID] = &tallyDesign{counting: c, add: index.NewCounter(c.design), answers: make([]uint8, len(c.design.Questions))}
}

// cell returns the counts of k, whose survey must have a design.
func (t *tally) cell(k summaryKey) *summaryCell {
	cl := t.cells[k]
	if cl == nil {
		cl = &summaryCell{st: t.designs[k.survey].counter.NewStratum(""), exp: map[string]int{}}
		t.cells[k] = cl
	}
	return cl
}

// addAnswers counts one row whose answers are aligned with its survey's design.
func (t *tally) addAnswers(k summaryKey, answers []uint8, expectations string) {
	cl := t.cell(k)
	t.designs[k.survey].add.Add(&cl.st, answers)
	for _, o := range strings.Fields(expectations) {
		cl.exp[o]++
	}
}

// addStored counts one row as stored: answers in survey.EncodeAnswers form, which names its
// codes, so rows of any questionnaire version count for the survey's design (codes it lacks
// are skipped, as in reports). A survey without a design is not counted.
func (t *tally) addStored(k summaryKey, answers, expectations string) error {
	c := t.designs[k.survey]
	if c == nil {
		return nil
	}
	if err := survey.DecodeAnswersAt(c.pos, answers, c.answers); err != nil {
		return fmt.Errorf("store: summaries: %w", err)
	}
	t.addAnswers(k, c.answers, expectations)
	return nil
}

// countRecord counts a response row being stored in tx, looking its survey's design up in tx
// the first time.
func (s *Store) countRecord(ctx context.Context, tx queryer, t *tally, r *responseRecord) error {
	if _, looked := t.designs[r.SurveyID]; !looked {
		c, err := s.storedDesign(ctx, tx, r.SurveyID)
		if err != nil {
			return err
		}
		t.use(r.SurveyID, c)
	}
	year, month := calendar.YearMonth(r.SubmittedAt)
	k := summaryKey{survey: r.SurveyID, year: year, agencyID: r.AgencyID, channel: r.Channel, month: month}
	return t.addStored(k, r.Answers, r.Expectations)
}

const (
	qSummaryRow    = `SELECT counts, expectations FROM summaries WHERE survey_id = ? AND year = ? AND agency_id = ? AND channel = ? AND month = ?`
	qSummaryUpsert = `INSERT INTO summaries (survey_id, year, agency_id, channel, month, counts, expectations) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (survey_id, year, agency_id, channel, month) DO UPDATE SET counts = excluded.counts, expectations = excluded.expectations`
)

// flush adds the tally to the table, one read and one upsert per key, in key order. The designs
// the tally counted for must be the stored ones (the caller looked them up, or checked them,
// in this transaction).
func (t *tally) flush(ctx context.Context, tx txStmts) error {
	keys := slices.SortedFunc(maps.Keys(t.cells), compareKeys)
	var buf []byte
	for _, k := range keys {
		cl, c := t.cells[k], t.designs[k.survey]
		var blob []byte
		var exp string
		err := tx.queryRow(ctx, qSummaryRow, k.survey, k.year, k.agencyID, k.channel, k.month).Scan(&blob, &exp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: summaries: %w", err)
		default:
			old, err := c.counter.DecodeStratum("", blob)
			if err != nil {
				return fmt.Errorf("store: summaries of %s %d agency %d %s month %d: %w", k.survey, k.year, k.agencyID, k.channel, k.month, err)
			}
			cl.st.Add(&old)
			if err := addExpectations(cl.exp, exp); err != nil {
				return err
			}
		}
		buf = cl.st.AppendBinary(buf[:0])
		if _, err := tx.exec(ctx, qSummaryUpsert, k.survey, k.year, k.agencyID, k.channel, k.month, buf, formatExpectations(cl.exp)); err != nil {
			return fmt.Errorf("store: summaries: %w", err)
		}
	}
	return nil
}

// formatExpectations is the stored form of option counts: "code:count …", codes sorted.
func formatExpectations(m map[string]int) string {
	var b strings.Builder
	for _, code := range slices.Sorted(maps.Keys(m)) {
		if m[code] == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(code)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(m[code]))
	}
	return b.String()
}

// addExpectations adds stored option counts to m.
func addExpectations(m map[string]int, s string) error {
	for _, item := range strings.Fields(s) {
		i := strings.LastIndexByte(item, ':')
		n, err := strconv.Atoi(item[i+1:])
		if i <= 0 || err != nil || n < 0 {
			return fmt.Errorf("store: summaries: stored expectation count %q is malformed", item)
		}
		m[item[:i]] += n
	}
	return nil
}
