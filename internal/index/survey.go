package index

import "sipas/internal/survey"

// DesignOf returns the design of questionnaire q: its scored questions in
// questionnaire order and its aspects with their question codes, which is
// what NewSample and Compute need. It reads q.Aspects rather than q.Codes,
// so that a Questionnaire built as a literal (not parsed) works too; for a
// parsed one the questions are q.Codes(), the order answers are decoded in.
func DesignOf(q *survey.Questionnaire) Design {
	var d Design
	for _, a := range q.Aspects {
		asp := Aspect{ID: a.ID, Questions: make([]string, 0, len(a.Questions))}
		for _, qq := range a.Questions {
			d.Questions = append(d.Questions, qq.Code)
			asp.Questions = append(asp.Questions, qq.Code)
		}
		d.Aspects = append(d.Aspects, asp)
	}
	return d
}
