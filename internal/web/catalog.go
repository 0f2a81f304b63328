package web

import (
	"errors"
	"slices"
	"strings"
	"sync"

	"sipas/internal/survey"
)

// catalog is the questionnaires in use. An admin's upload replaces one while requests read
// others, hence the lock.
type catalog struct {
	mu  sync.RWMutex
	cat survey.Catalog
}

func newCatalog(c survey.Catalog) *catalog {
	cp := survey.Catalog{}
	for id, q := range c {
		cp[id] = q
	}
	return &catalog{cat: cp}
}

// Get returns the questionnaire with that id ("" is the default one).
func (c *catalog) Get(id string) (*survey.Questionnaire, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cat.Get(id)
}

// questionnaire returns the questionnaire id of a request, or the Invalid fault unknown_survey.
func (s *Server) questionnaire(id string) (*survey.Questionnaire, error) {
	q, err := s.surveys.Get(id)
	if errors.Is(err, survey.ErrUnknownSurvey) {
		return nil, errInvalid("unknown_survey", id).Because(err)
	}
	return q, err
}

// All returns every questionnaire ordered by id.
func (c *catalog) All() []*survey.Questionnaire {
	c.mu.RLock()
	defer c.mu.RUnlock()
	list := make([]*survey.Questionnaire, 0, len(c.cat))
	for _, q := range c.cat {
		list = append(list, q)
	}
	slices.SortFunc(list, func(a, b *survey.Questionnaire) int { return strings.Compare(a.ID, b.ID) })
	return list
}

// Put adds or replaces a questionnaire.
func (c *catalog) Put(q *survey.Questionnaire) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cat[q.ID] = q
}
