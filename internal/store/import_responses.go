package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
)

// Response imports share the database with a running service. An import streams its file,
// stores its rows in short transactions (a chunk each, with a pause after each commit so that
// waiting submissions go first), counts them in memory, and adds the counts to the summaries
// in one last transaction, which also marks the run done (import_runs). Until then its rows
// are in the responses table but in no index; an import that fails, or is cancelled, deletes
// them again, and one whose process died is undone by the next process that opens the
// database (recoverImports). So, as for the user, an import is stored whole or not at all.

// ErrImportRunning is returned when another response import is running on the database.
var ErrImportRunning = errors.New("store: another response import is running on this database; try again when it has finished (one whose process was stopped is undone within 15 s)")

// ImportedResponse is one imported row, its answers already encoded.
type ImportedResponse struct {
	dataset.Response
	Answers string // survey.EncodeAnswers form
}

// Tuning of imports.
const (
	// importChunkTime is how long one chunk's transaction should hold the write lock: a
	// submission arriving meanwhile waits at most about that long.
	importChunkTime = 40 * time.Millisecond
	// importPause is the pause after each chunk's commit, in which waiting writers begin.
	importPause = 2 * time.Millisecond
	// importHeartbeat is how often a running import says it is alive, and importStale how
	// long a silent one is taken for dead (its process was killed): the next process to open
	// the database, or to start an import, then undoes it.
	importHeartbeat = time.Second
	importStale     = 15 * time.Second
)

// ImportResponses stores imported responses of one survey version, whole or not at all. A
// response_id already stored with the same content is left alone (so importing a file twice
// changes nothing); with different content it is an error naming the file and line, and
// nothing of the file is stored. An agency code not in the database is ErrNotFound.
func (s *Store) ImportResponses(ctx context.Context, file, surveyID, version string, list []ImportedResponse) (ImportResult, error) {
	im, err := s.startImport(ctx, file, surveyID, version)
	if err != nil {
		return ImportResult{}, err
	}
	for i := range list {
		if err = im.add(ctx, &list[i]); err != nil {
			break
		}
	}
	return im.finish(ctx, err)
}

// responseImport is one import run.
type responseImport struct {
	s                       *Store
	file, surveyID, version string
	run, watermark          int64
	design                  *counting // the survey's stored design when the run began; nil: none
	ids                     map[string]int64
	tally                   *tally
	res                     ImportResult
	conflicts               dataset.Errors
	conflictCount           int
	lookup                  bool // check each chunk against the stored rows first (a clash was seen)
	stopBeat                func()

	// The file is read on the caller's goroutine and the chunks stored on another (the
	// writer), so that parsing and SQLite use both cores. Only the writer touches the fields
	// above once the run has begun.
	chunk     []importRow // being filled by add
	chunkRows atomic.Int64
	chunks    chan []importRow
	stored    chan error    // the writer's outcome, when chunks is closed
	failed    chan struct{} // closed when the writer failed: add stops sending
}

// importRow is one row ready to store.
type importRow struct {
	line                      int
	id, agency, channel       string
	agencyID                  int64
	submitted                 string
	year, month               int
	answers, comment, version string
}

// startImport claims the one import run the database allows at a time.
func (s *Store) startImport(ctx context.Context, file, surveyID, version string) (*responseImport, error) {
	if err := s.recoverImports(ctx); err != nil {
		return nil, err
	}
	im := &responseImport{s: s, file: file, surveyID: surveyID, version: version, tally: newTally(),
		chunks: make(chan []importRow, 1), stored: make(chan error, 1), failed: make(chan struct{})}
	im.chunkRows.Store(500)
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var err error
		if im.ids, err = agencyIDs(ctx, tx); err != nil {
			return err
		}
		if im.design, err = s.storedDesign(ctx, tx, surveyID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM responses`).Scan(&im.watermark); err != nil {
			return fmt.Errorf("store: import responses: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO import_runs (file, survey_id, state, watermark, started_at, heartbeat_at)
			VALUES (?, ?, 'running', ?, ?, ?)`, file, surveyID, im.watermark, formatTime(now), formatTime(now))
		if isUniqueViolation(err) {
			return ErrImportRunning
		}
		if err != nil {
			return fmt.Errorf("store: import responses: %w", err)
		}
		im.run, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	im.tally.use(surveyID, im.design)
	im.stopBeat = s.heartbeat(im.run)
	go im.write(ctx)
	return im, nil
}

// write stores the chunks as they come; after a failure it only drains them.
func (im *responseImport) write(ctx context.Context) {
	var err error
	for rows := range im.chunks {
		if err != nil {
			continue
		}
		if err = im.store(ctx, rows); err != nil {
			close(im.failed)
		}
	}
	im.stored <- err
}

// send hands the full chunk to the writer, or returns errWriterFailed once it failed.
func (im *responseImport) send() error {
	select {
	case im.chunks <- im.chunk:
		im.chunk = make([]importRow, 0, cap(im.chunk))
		return nil
	case <-im.failed:
		return errWriterFailed
	}
}

// errWriterFailed stops the reading of the file; finish returns the writer's own error.
var errWriterFailed = errors.New("store: import responses: storing failed")

// add takes one row, storing a chunk when it is full. The row is copied.
func (im *responseImport) add(ctx context.Context, r *ImportedResponse) error {
	id, ok := im.ids[r.AgencyCode]
	if !ok {
		return fmt.Errorf("store: import responses: agency %q: %w", r.AgencyCode, ErrNotFound)
	}
	year, month := calendar.YearMonth(r.SubmittedAt)
	im.chunk = append(im.chunk, importRow{line: r.Line, id: r.ID, agency: r.AgencyCode, channel: r.Channel, agencyID: id,
		submitted: formatTime(r.SubmittedAt), year: year, month: month, answers: r.Answers, comment: r.Comment, version: im.version})
	if len(im.chunk) >= int(im.chunkRows.Load()) {
		return im.send()
	}
	return nil
}

// store writes a chunk in one transaction, unless a problem was found already (then the rows
// only need checking), and counts what it stored. It runs on the writer goroutine.
func (im *responseImport) store(ctx context.Context, rows []importRow) error {
	if im.lookup || im.conflictCount > 0 {
		var err error
		if rows, err = im.newRows(ctx, rows); err != nil {
			return err
		}
	}
	if im.conflictCount > 0 || len(rows) == 0 {
		return nil
	}
	start := time.Now()
	err := im.insert(ctx, rows)
	if errors.Is(err, errClash) && !im.lookup {
		im.lookup = true // the file holds stored rows: check every chunk first from now on
		if rows, err = im.newRows(ctx, rows); err == nil && im.conflictCount == 0 && len(rows) > 0 {
			err = im.insert(ctx, rows)
		}
	}
	if err != nil {
		return err
	}
	im.res.Created += len(rows)
	for i := range rows {
		r := &rows[i]
		k := summaryKey{survey: im.surveyID, year: r.year, agencyID: r.agencyID, channel: r.channel, month: r.month}
		if err := im.tally.addStored(k, r.answers, ""); err != nil {
			return err
		}
	}
	im.resize(time.Since(start), len(rows))
	time.Sleep(importPause)
	return nil
}

// resize aims the next chunks at importChunkTime.
func (im *responseImport) resize(took time.Duration, n int) {
	if took <= 0 {
		return
	}
	want := int64(float64(n) * float64(importChunkTime) / float64(took))
	im.chunkRows.Store(min(max(want, 100), 20000, 2*im.chunkRows.Load()))
}

// errClash is a chunk that holds a response_id already stored.
var errClash = errors.New("store: import responses: response_id already stored")

// importPerStatement is how many rows one INSERT statement stores: one statement per row
// would spend a third of the time entering and leaving SQLite.
const importPerStatement = 100

// insertImported is the statement storing n rows.
func insertImported(n int) string {
	return `INSERT INTO responses (response_id, agency_id, survey_id, survey_version, channel, source, submitted_at, year, month,
		answers, comment) VALUES ` + strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, 'import', ?, ?, ?, ?, ?), `, n), ", ")
}

// insert stores rows in one transaction, which also says the run is alive (and fails if the
// run was taken for dead meanwhile).
func (im *responseImport) insert(ctx context.Context, rows []importRow) error {
	return im.s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if err := im.beat(ctx, tx, now); err != nil {
			return err
		}
		full, err := tx.PrepareContext(ctx, insertImported(importPerStatement))
		if err != nil {
			return fmt.Errorf("store: import responses: %w", err)
		}
		defer full.Close()
		args := make([]any, 0, 10*importPerStatement)
		for len(rows) > 0 {
			part := rows[:min(len(rows), importPerStatement)]
			rows = rows[len(part):]
			args = args[:0]
			for _, r := range part {
				args = append(args, r.id, r.agencyID, im.surveyID, r.version, r.channel, r.submitted, r.year, r.month, r.answers, r.comment)
			}
			if len(part) == importPerStatement {
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insertImported(len(part)), args...)
			}
			if isUniqueViolation(err) && strings.Contains(err.Error(), "response_id") {
				return errClash
			}
			if err != nil {
				return fmt.Errorf("store: import responses: lines %d–%d: %w", part[0].line, part[len(part)-1].line, err)
			}
		}
		return nil
	})
}

// beat records that the run is alive, in tx.
func (im *responseImport) beat(ctx context.Context, tx *sql.Tx, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE import_runs SET heartbeat_at = ? WHERE id = ? AND state = 'running'`, formatTime(now), im.run)
	if err != nil {
		return fmt.Errorf("store: import responses: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("store: import responses: the run of %s was taken for dead and undone: import the file again", im.file)
	}
	return nil
}

// newRows returns the rows of a chunk that are not stored yet, counting those stored with the
// same content as unchanged and reporting the others as conflicts.
func (im *responseImport) newRows(ctx context.Context, rows []importRow) ([]importRow, error) {
	stored, err := im.s.storedResponses(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, r := range rows {
		old, ok := stored[r.id]
		switch {
		case !ok:
			out = append(out, r)
		case old == storedResponse{r.agency, r.channel, r.submitted, r.answers, r.comment, im.surveyID}:
			im.res.Unchanged++
		default:
			im.conflict(r)
		}
	}
	return out, nil
}

// conflict reports a row whose response_id is stored with other content.
func (im *responseImport) conflict(r importRow) {
	im.conflictCount++
	if len(im.conflicts) < dataset.MaxErrors {
		im.conflicts = append(im.conflicts, dataset.Error{File: im.file, Line: r.line, Column: 1,
			Msg: fmt.Sprintf("response_id %q is already stored with different content", r.id)})
	}
}

// storedResponse is what makes a stored response the same as an imported row.
type storedResponse struct{ agency, channel, submitted, answers, comment, survey string }

// storedResponses returns the stored responses among the rows' ids.
func (s *Store) storedResponses(ctx context.Context, rows []importRow) (map[string]storedResponse, error) {
	args := make([]any, len(rows))
	for i, r := range rows {
		args[i] = r.id
	}
	out := map[string]storedResponse{}
	list, err := queryAll(ctx, s.r, "import responses", `SELECT r.response_id, a.code, r.channel, r.submitted_at, r.answers, r.comment, r.survey_id
		FROM responses r JOIN agencies a ON a.id = r.agency_id WHERE r.response_id IN (?`+strings.Repeat(", ?", len(rows)-1)+`)`, args,
		func(sc scanner) (x struct {
			id string
			storedResponse
		}, err error) {
			return x, sc.Scan(&x.id, &x.agency, &x.channel, &x.submitted, &x.answers, &x.comment, &x.survey)
		})
	for _, x := range list {
		out[x.id] = x.storedResponse
	}
	return out, err
}

// finish stores the last chunk and, when neither failed (nor reading the file: failed), adds
// the counts to the summaries and marks the run done, in one transaction. Otherwise it deletes
// the rows stored so far.
func (im *responseImport) finish(ctx context.Context, failed error) (ImportResult, error) {
	defer im.stopBeat()
	if failed == nil && len(im.chunk) > 0 {
		failed = im.send()
	}
	close(im.chunks)
	if err := <-im.stored; err != nil && (failed == nil || errors.Is(failed, errWriterFailed)) {
		failed = err
	}
	if failed == nil && im.conflictCount > 0 {
		if n := im.conflictCount - len(im.conflicts); n > 0 {
			last := im.conflicts[len(im.conflicts)-1]
			im.conflicts = append(im.conflicts, dataset.Error{File: im.file, Line: last.Line, Msg: fmt.Sprintf("… and %d more", n)})
		}
		failed = im.conflicts
	}
	if failed == nil {
		failed = im.complete(ctx)
	}
	if failed != nil {
		if err := im.s.undoImport(context.WithoutCancel(ctx), im.run, im.watermark, "failed"); err != nil {
			return ImportResult{}, errors.Join(failed, err)
		}
		return ImportResult{}, failed
	}
	return im.res, nil
}

// complete is the last transaction of a run that stored all its rows.
func (im *responseImport) complete(ctx context.Context) error {
	return im.s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if err := im.beat(ctx, tx, now); err != nil {
			return err
		}
		c, err := im.s.storedDesign(ctx, tx, im.surveyID)
		if err != nil {
			return err
		}
		if (c == nil) != (im.design == nil) || (c != nil && c.text != im.design.text) {
			return fmt.Errorf("store: import responses: the questionnaire's summaries were counted again during the import of %s: import it again", im.file)
		}
		if err := im.tally.flush(ctx, txStmts{tx: tx}); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE import_runs SET state = 'done', created = ?, unchanged = ?, finished_at = ? WHERE id = ?`,
			im.res.Created, im.res.Unchanged, formatTime(now), im.run)
		if err != nil {
			return fmt.Errorf("store: import responses: %w", err)
		}
		return nil
	})
}
