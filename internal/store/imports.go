package store

import (
	"context"
	"fmt"
	"io"

	"sipas/internal/dataset"
	"sipas/internal/survey"
)

// ImportKinds are the CSV files officials can import (CONTRACT.md).
var ImportKinds = []string{"agencies", "populations", "responses", "aggregates", "crosswalk"}

// ImportFile parses one CSV file of the given kind against the known agencies and the
// questionnaire, then stores every row, or none. Parse errors come back as dataset.Errors
// (every bad row, with line and column). name is the file name for messages. A responses file
// is read as a stream, in bounded memory, and stored while it is read in short transactions
// that a running service's submissions pass between (ImportResponses).
func (s *Store) ImportFile(ctx context.Context, q *survey.Questionnaire, kind, name string, r io.Reader) (ImportResult, error) {
	known, err := s.AgencyCodes(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	isKnown := func(code string) bool { return known[code] }
	switch kind {
	case "agencies":
		list, err := dataset.ParseAgencies(name, r, isKnown)
		if err != nil {
			return ImportResult{}, err
		}
		return s.ImportAgencies(ctx, list)
	case "populations":
		list, err := dataset.ParsePopulations(name, r, isKnown)
		if err != nil {
			return ImportResult{}, err
		}
		return s.ImportPopulations(ctx, list)
	case "aggregates":
		list, err := dataset.ParseAggregates(name, r, q.IsIndex, isKnown)
		if err != nil {
			return ImportResult{}, err
		}
		return s.ImportAggregates(ctx, q.ID, list)
	case "crosswalk":
		list, err := dataset.ParseCrosswalk(name, r, isKnown)
		if err != nil {
			return ImportResult{}, err
		}
		return s.ImportCrosswalk(ctx, list)
	case "responses":
		return s.importResponseFile(ctx, q, name, r, isKnown)
	}
	return ImportResult{}, fmt.Errorf("store: cannot import %q: choose agencies, populations, responses, aggregates or crosswalk", kind)
}

// importResponseFile streams a responses file into an import run. The survey's summaries are
// first made to count for q's design, so that the import adds to them.
func (s *Store) importResponseFile(ctx context.Context, q *survey.Questionnaire, name string, r io.Reader, known func(string) bool) (ImportResult, error) {
	if err := s.EnsureSummaries(ctx, q); err != nil {
		return ImportResult{}, err
	}
	im, err := s.startImport(ctx, name, q.ID, q.Version)
	if err != nil {
		return ImportResult{}, err
	}
	err = dataset.ReadResponses(name, r, q.Codes(), known, func(resp *dataset.Response) error {
		return im.add(ctx, &ImportedResponse{Response: *resp, Answers: survey.EncodeAnswers(q.Codes(), resp.Answers)})
	})
	return im.finish(ctx, err)
}
