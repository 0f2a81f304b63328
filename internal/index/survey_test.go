package index

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"sipas/internal/survey"
	"sipas/surveys"
)

func TestDesignOf(t *testing.T) {
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat) == 0 {
		t.Fatal("no embedded questionnaires")
	}
	for id, q := range cat {
		t.Run(id, func(t *testing.T) {
			d := DesignOf(q)
			if err := d.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			// Answers are decoded aligned with q.Codes (survey.DecodeAnswers).
			if diff := cmp.Diff(q.Codes(), d.Questions); diff != "" {
				t.Errorf("Questions differ from q.Codes() (-want +got):\n%s", diff)
			}
			if got, want := len(d.Aspects), len(q.Aspects); got != want {
				t.Fatalf("%d aspects, want %d", got, want)
			}
			for i, a := range d.Aspects {
				if got, want := a.ID, q.Aspects[i].ID; got != want {
					t.Errorf("aspect %d = %q, want %q", i, got, want)
				}
				for _, code := range a.Questions {
					if got := q.AspectOf(code); got != a.ID {
						t.Errorf("question %s is in aspect %s of the design, %q of the questionnaire", code, a.ID, got)
					}
				}
			}
			// The design owns its slices: changing it leaves q alone.
			codes := slices.Clone(q.Codes())
			d.Questions[0] = "ZZ"
			d.Aspects[0].Questions[0] = "ZZ"
			if !slices.Equal(q.Codes(), codes) || q.Aspects[0].Questions[0].Code == "ZZ" {
				t.Error("DesignOf aliases the questionnaire")
			}
		})
	}

	// The reference data are in the layout of the default questionnaire:
	// the fixtures' design (CSV columns, X0 in aspect X) is DesignOf's.
	q, err := cat.Get(survey.DefaultID)
	if err != nil {
		t.Fatal(err)
	}
	fixture, _ := fixtureResponses(t, "responses_2024.csv", 2024)
	if d := DesignOf(q); !d.equal(fixture) {
		t.Errorf("DesignOf(%s) = %+v, want the reference layout %+v", q.ID, d, fixture)
	}
}

// TestDesignOfLiteral: a questionnaire that was not parsed has no Codes,
// and DesignOf reads its aspects.
func TestDesignOfLiteral(t *testing.T) {
	q := &survey.Questionnaire{ID: "x", Aspects: []survey.Aspect{
		{ID: "A", Questions: []survey.Question{{Code: "A1"}, {Code: "A0"}}},
		{ID: "B", Questions: []survey.Question{{Code: "B1"}}},
	}}
	want := Design{
		Questions: []string{"A1", "A0", "B1"},
		Aspects:   []Aspect{{ID: "A", Questions: []string{"A1", "A0"}}, {ID: "B", Questions: []string{"B1"}}},
	}
	if diff := cmp.Diff(want, DesignOf(q)); diff != "" {
		t.Errorf("DesignOf (-want +got):\n%s", diff)
	}
	if got := DesignOf(&survey.Questionnaire{}); len(got.Questions) != 0 || len(got.Aspects) != 0 {
		t.Errorf("DesignOf(empty) = %+v, want an empty design", got)
	}
}
