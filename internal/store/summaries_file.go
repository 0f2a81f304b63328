package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"sipas/internal/index"
)

// Province to nation: a province's summaries, agencies, stratum sizes and crosswalk go to a
// file (no response, no comment, no receipt), and a national database merges such files. As
// the summaries are sufficient statistics, its reports are exactly those of one database
// holding every province's responses.

// SummaryFileFormat names the file; a later layout gets a new SummaryFileVersion.
const (
	SummaryFileFormat  = "sipas-summaries"
	SummaryFileVersion = 1
)

// SummaryFile is the JSON of `sipas summaries export`.
type SummaryFile struct {
	Format      string              `json:"format"`
	Version     int                 `json:"version"`
	Source      string              `json:"source"` // the exporting database's id
	ExportedAt  time.Time           `json:"exported_at"`
	Agencies    []SummaryFileAgency `json:"agencies"`
	Populations []SummaryFilePop    `json:"populations"`
	Crosswalk   []SummaryFileXW     `json:"crosswalk"`
	Surveys     []SummaryFileSurvey `json:"surveys"`
}

// SummaryFileAgency is one agency of the file.
type SummaryFileAgency struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Level      string `json:"level"`
	ParentCode string `json:"parent_code"`
}

// SummaryFilePop is the stratum size N_h of one agency and year, as the exporting database's
// reports use it (imported, or the receipts it issued).
type SummaryFilePop struct {
	Year     int     `json:"year"`
	Agency   string  `json:"agency_code"`
	Receipts float64 `json:"receipts"`
}

// SummaryFileXW is one transfer of the crosswalk.
type SummaryFileXW struct {
	From  string  `json:"from_code"`
	To    string  `json:"to_code"`
	Share float64 `json:"share"`
	Since string  `json:"since"` // YYYY-MM-DD
}

// SummaryFileSurvey is one questionnaire's summaries and the design they count for.
type SummaryFileSurvey struct {
	ID        string           `json:"id"`
	Design    index.Design     `json:"design"`
	Summaries []SummaryFileRow `json:"summaries"`
}

// SummaryFileRow is one row of the summaries table.
type SummaryFileRow struct {
	Year         int    `json:"year"`
	Agency       string `json:"agency_code"`
	Channel      string `json:"channel"`
	Month        int    `json:"month"`
	Counts       []byte `json:"counts"` // index.Stratum.AppendBinary, base64 in JSON
	Expectations string `json:"expectations"`
}

// DatabaseID returns this database's id, made once at random: the source a national database
// knows a province's file by.
func (s *Store) DatabaseID(ctx context.Context) (string, error) {
	id, err := s.Setting(ctx, "database_id")
	if !errors.Is(err, ErrNotFound) {
		return id, err
	}
	b := make([]byte, 12)
	rand.Read(b)
	id = "db-" + hex.EncodeToString(b)
	err = s.inTx(ctx, func(tx *sql.Tx, _ time.Time) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('database_id', ?) ON CONFLICT (key) DO NOTHING`, id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: database id: %w", err)
	}
	return s.Setting(ctx, "database_id")
}

// ExportSummaries writes the summary file of this database to w, read on one snapshot.
func (s *Store) ExportSummaries(ctx context.Context, w io.Writer) (SummaryFile, error) {
	f := SummaryFile{Format: SummaryFileFormat, Version: SummaryFileVersion, ExportedAt: s.now().UTC().Truncate(time.Second)}
	var err error
	if f.Source, err = s.DatabaseID(ctx); err != nil {
		return f, err
	}
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		if f.Agencies, err = exportAgencies(ctx, tx); err != nil {
			return err
		}
		if f.Crosswalk, err = exportCrosswalk(ctx, tx); err != nil {
			return err
		}
		if f.Surveys, err = s.exportSurveys(ctx, tx); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	if f.Populations, err = s.exportPopulations(ctx, f.Surveys); err != nil {
		return f, err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(f); err != nil {
		return f, fmt.Errorf("store: export summaries: %w", err)
	}
	return f, nil
}

func exportAgencies(ctx context.Context, tx *sql.Tx) ([]SummaryFileAgency, error) {
	return queryAll(ctx, tx, "export summaries", `SELECT code, name, level, parent_code FROM agencies ORDER BY code`, nil,
		func(r scanner) (a SummaryFileAgency, err error) {
			return a, r.Scan(&a.Code, &a.Name, &a.Level, &a.ParentCode)
		})
}

func exportCrosswalk(ctx context.Context, tx *sql.Tx) ([]SummaryFileXW, error) {
	return queryAll(ctx, tx, "export summaries", `SELECT from_code, to_code, share, since FROM crosswalk ORDER BY from_code, to_code`, nil,
		func(r scanner) (x SummaryFileXW, err error) { return x, r.Scan(&x.From, &x.To, &x.Share, &x.Since) })
}

// exportSurveys reads every survey's design and summaries.
func (s *Store) exportSurveys(ctx context.Context, tx *sql.Tx) ([]SummaryFileSurvey, error) {
	ids, err := queryAll(ctx, tx, "export summaries", `SELECT survey_id FROM summary_designs
		WHERE survey_id IN (SELECT survey_id FROM summaries) ORDER BY survey_id`, nil,
		func(r scanner) (id string, err error) { return id, r.Scan(&id) })
	if err != nil {
		return nil, err
	}
	out := []SummaryFileSurvey{}
	for _, id := range ids {
		c, err := s.storedDesign(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		sv := SummaryFileSurvey{ID: id, Design: c.design}
		sv.Summaries, err = queryAll(ctx, tx, "export summaries", `SELECT s.year, a.code, s.channel, s.month, s.counts, s.expectations
			FROM summaries s JOIN agencies a ON a.id = s.agency_id WHERE s.survey_id = ? ORDER BY s.year, a.code, s.channel, s.month`,
			[]any{id}, func(r scanner) (x SummaryFileRow, err error) {
				return x, r.Scan(&x.Year, &x.Agency, &x.Channel, &x.Month, &x.Counts, &x.Expectations)
			})
		if err != nil {
			return nil, err
		}
		out = append(out, sv)
	}
	return out, nil
}

// exportPopulations gives N_h of every year the summaries have, as this database's reports
// use it (Populations).
func (s *Store) exportPopulations(ctx context.Context, surveys []SummaryFileSurvey) ([]SummaryFilePop, error) {
	years := map[int]bool{}
	for _, sv := range surveys {
		for _, r := range sv.Summaries {
			years[r.Year] = true
		}
	}
	out := []SummaryFilePop{}
	for year := range years {
		pops, err := s.Populations(ctx, year)
		if err != nil {
			return nil, err
		}
		for code, n := range pops {
			out = append(out, SummaryFilePop{Year: year, Agency: code, Receipts: n})
		}
	}
	sortPops(out)
	return out, nil
}

func sortPops(list []SummaryFilePop) {
	slices.SortFunc(list, func(a, b SummaryFilePop) int {
		return cmp.Or(cmp.Compare(a.Year, b.Year), strings.Compare(a.Agency, b.Agency))
	})
}
