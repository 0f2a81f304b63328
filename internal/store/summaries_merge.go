package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"sipas/internal/dataset"
	"sipas/internal/index"
)

// SummaryMerge says what ImportSummaries changed.
type SummaryMerge struct {
	Source      string
	Agencies    ImportResult
	Summaries   int // summary rows stored
	Populations int
	Crosswalk   ImportResult
}

// String says it in one line.
func (m SummaryMerge) String() string {
	return fmt.Sprintf("from %s: agencies %s; %d summary rows; %d stratum sizes; crosswalk %s",
		m.Source, m.Agencies, m.Summaries, m.Populations, m.Crosswalk)
}

// ImportSummaries merges a file of ExportSummaries into this database, in one transaction.
// The agencies are upserted; the summaries of every agency the file's source sent before are
// replaced by the file's (so importing a newer file of the same province replaces the older
// one, and the same file twice changes nothing); stratum sizes are upserted; crosswalk rows are
// added. It refuses, changing nothing: a file of another format or version; this database's
// own file; an agency whose responses are stored here or whose summaries came from another
// source; summaries counted for another design than this database's; crosswalk rows of a
// former unit that differ from those stored.
func (s *Store) ImportSummaries(ctx context.Context, file string, r io.Reader, actor string) (SummaryMerge, error) {
	f, err := readSummaryFile(file, r)
	if err != nil {
		return SummaryMerge{}, err
	}
	if own, err := s.DatabaseID(ctx); err != nil {
		return SummaryMerge{}, err
	} else if own == f.Source {
		return SummaryMerge{}, fmt.Errorf("%s: this is the summary file of this database itself", file)
	}
	m := SummaryMerge{Source: f.Source}
	err = s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		m = SummaryMerge{Source: f.Source}
		mg := &merge{s: s, tx: tx, f: f, file: file, now: now}
		if err := mg.agencies(ctx, &m); err != nil {
			return err
		}
		if err := mg.summaries(ctx, &m); err != nil {
			return err
		}
		if err := mg.populations(ctx, &m); err != nil {
			return err
		}
		if err := mg.crosswalk(ctx, &m); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "summaries.import", file+": "+m.String())
	})
	return m, err
}

// readSummaryFile decodes and checks a summary file before anything is stored.
func readSummaryFile(file string, r io.Reader) (*SummaryFile, error) {
	var f SummaryFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: not a summary file of sipas: %w", file, err)
	}
	if f.Format != SummaryFileFormat || f.Version != SummaryFileVersion {
		return nil, fmt.Errorf("%s: format %q version %d; this sipas reads %q version %d", file, f.Format, f.Version, SummaryFileFormat, SummaryFileVersion)
	}
	if f.Source == "" {
		return nil, fmt.Errorf("%s: the file names no source database", file)
	}
	codes := map[string]bool{}
	for _, a := range f.Agencies {
		if a.Code == "" || !dataset.IsLevel(a.Level) {
			return nil, fmt.Errorf("%s: agency %q of level %q is not valid", file, a.Code, a.Level)
		}
		codes[a.Code] = true
	}
	for _, sv := range f.Surveys {
		if err := sv.Design.Validate(); err != nil {
			return nil, fmt.Errorf("%s: survey %s: %w", file, sv.ID, err)
		}
		c := index.NewCounter(sv.Design)
		for _, row := range sv.Summaries {
			_, err := c.DecodeStratum(row.Agency, row.Counts)
			if !codes[row.Agency] || !dataset.IsChannel(row.Channel) || row.Month < 1 || row.Month > 12 || err != nil {
				return nil, fmt.Errorf("%s: survey %s: the summary of %d %q %q month %d is not valid", file, sv.ID, row.Year, row.Agency, row.Channel, row.Month)
			}
		}
	}
	return &f, nil
}

// merge is one ImportSummaries transaction.
type merge struct {
	s    *Store
	tx   *sql.Tx
	f    *SummaryFile
	file string
	now  time.Time
	ids  map[string]int64
}

func (mg *merge) agencies(ctx context.Context, m *SummaryMerge) error {
	list := make([]dataset.Agency, len(mg.f.Agencies))
	for i, a := range mg.f.Agencies {
		list[i] = dataset.Agency{Code: a.Code, Name: a.Name, Level: a.Level, ParentCode: a.ParentCode}
	}
	var err error
	if m.Agencies, err = upsertAgencies(ctx, mg.tx, list, mg.now); err != nil {
		return err
	}
	mg.ids, err = agencyIDs(ctx, mg.tx)
	return err
}

// summaries replaces the source's summaries with the file's.
func (mg *merge) summaries(ctx context.Context, m *SummaryMerge) error {
	tx := mg.tx
	if _, err := tx.ExecContext(ctx, `DELETE FROM summaries WHERE agency_id IN (SELECT agency_id FROM summary_imports WHERE source = ?)`, mg.f.Source); err != nil {
		return fmt.Errorf("store: summaries import: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM summary_imports WHERE source = ?`, mg.f.Source); err != nil {
		return fmt.Errorf("store: summaries import: %w", err)
	}
	marked := map[string]bool{}
	for _, sv := range mg.f.Surveys {
		if err := mg.design(ctx, sv); err != nil {
			return err
		}
		for _, row := range sv.Summaries {
			if !marked[row.Agency] {
				if err := mg.claim(ctx, row.Agency); err != nil {
					return err
				}
				marked[row.Agency] = true
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO summaries (survey_id, year, agency_id, channel, month, counts, expectations)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, sv.ID, row.Year, mg.ids[row.Agency], row.Channel, row.Month, row.Counts, row.Expectations); err != nil {
				return fmt.Errorf("store: summaries import: %w", err)
			}
			m.Summaries++
		}
	}
	return nil
}

// design checks that the survey's summaries here count for the file's design, or records it.
func (mg *merge) design(ctx context.Context, sv SummaryFileSurvey) error {
	c := newCounting(sv.Design, designText(sv.Design))
	stored, err := mg.s.storedDesign(ctx, mg.tx, sv.ID)
	switch {
	case err != nil:
		return err
	case stored == nil:
		return setDesign(ctx, mg.tx, sv.ID, c, mg.now)
	case stored.text != c.text:
		return fmt.Errorf("%s: the summaries of survey %s were counted for another questionnaire design than this database's (question codes %v here, %v in the file): both databases must use the same questionnaire version",
			mg.file, sv.ID, stored.design.Questions, sv.Design.Questions)
	}
	return nil
}

// claim records that the agency's summaries come from the file's source, refusing an agency
// with responses here or summaries from another source.
func (mg *merge) claim(ctx context.Context, code string) error {
	id := mg.ids[code]
	var rows int
	var other sql.NullString
	err := mg.tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM responses WHERE agency_id = ?1),
		(SELECT source FROM summary_imports WHERE agency_id = ?1)`, id).Scan(&rows, &other)
	switch {
	case err != nil:
		return fmt.Errorf("store: summaries import: %w", err)
	case rows > 0:
		return fmt.Errorf("%s: agency %s has %d responses stored in this database: its summaries cannot also come from another one", mg.file, code, rows)
	case other.Valid:
		return fmt.Errorf("%s: the summaries of agency %s came from database %s already; a file of %s may not replace them", mg.file, code, other.String, mg.f.Source)
	}
	_, err = mg.tx.ExecContext(ctx, `INSERT INTO summary_imports (agency_id, source, file, exported_at, imported_at) VALUES (?, ?, ?, ?, ?)`,
		id, mg.f.Source, mg.file, formatTime(mg.f.ExportedAt), formatTime(mg.now))
	if err != nil {
		return fmt.Errorf("store: summaries import: %w", err)
	}
	return nil
}

func (mg *merge) populations(ctx context.Context, m *SummaryMerge) error {
	for _, p := range mg.f.Populations {
		id, ok := mg.ids[p.Agency]
		if !ok || p.Receipts <= 0 || p.Receipts != math.Trunc(p.Receipts) {
			return fmt.Errorf("%s: the stratum size %v of %q in %d is not valid", mg.file, p.Receipts, p.Agency, p.Year)
		}
		if _, err := mg.tx.ExecContext(ctx, `INSERT INTO populations (year, agency_id, receipts) VALUES (?, ?, ?)
			ON CONFLICT (year, agency_id) DO UPDATE SET receipts = excluded.receipts`, p.Year, id, int64(p.Receipts)); err != nil {
			return fmt.Errorf("store: summaries import: %w", err)
		}
		m.Populations++
	}
	return nil
}

// crosswalk adds the file's transfers; a former unit's transfers must be those stored, or new.
func (mg *merge) crosswalk(ctx context.Context, m *SummaryMerge) error {
	stored, err := exportCrosswalk(ctx, mg.tx)
	if err != nil {
		return err
	}
	byFrom := func(list []SummaryFileXW, from string) []SummaryFileXW {
		return slices.DeleteFunc(slices.Clone(list), func(x SummaryFileXW) bool { return x.From != from })
	}
	seen := map[string]bool{}
	for _, x := range mg.f.Crosswalk {
		if seen[x.From] {
			continue
		}
		seen[x.From] = true
		have, want := byFrom(stored, x.From), byFrom(mg.f.Crosswalk, x.From)
		switch {
		case slices.Equal(have, want):
			m.Crosswalk.Unchanged += len(want)
		case len(have) > 0:
			return fmt.Errorf("%s: the crosswalk of former unit %s differs from the one stored here", mg.file, x.From)
		default:
			for _, t := range want {
				if _, err := mg.tx.ExecContext(ctx, `INSERT INTO crosswalk (from_code, to_code, share, since) VALUES (?, ?, ?, ?)`,
					t.From, t.To, t.Share, t.Since); err != nil {
					return fmt.Errorf("store: summaries import: %w", err)
				}
				m.Crosswalk.Created++
			}
		}
	}
	return nil
}
