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
// questionnaire, then stores every row in one transaction, or none. Parse errors come back as
// dataset.Errors (every bad row, with line and column). name is the file name for messages.
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
		list, err := dataset.ParseResponses(name, r, q.Codes(), isKnown)
		if err != nil {
			return ImportResult{}, err
		}
		rows := make([]ImportedResponse, len(list))
		for i, resp := range list {
			rows[i] = ImportedResponse{Response: resp, Answers: survey.EncodeAnswers(q.Codes(), resp.Answers)}
		}
		return s.ImportResponses(ctx, name, q.ID, q.Version, rows)
	}
	return ImportResult{}, fmt.Errorf("store: cannot import %q: choose agencies, populations, responses, aggregates or crosswalk", kind)
}
