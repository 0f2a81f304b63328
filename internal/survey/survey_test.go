package survey

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"sipas/surveys"
)

func mustDefault(t *testing.T) *Questionnaire {
	t.Helper()
	cat, err := Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	q, err := cat.Get("")
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestEmbeddedQuestionnaires(t *testing.T) {
	cat, err := Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	q := cat[DefaultID]
	want := "A1 A2 A3 A0 B1 B2 B3 B4 B0 C1 C2 C3 C4 C5 C0 D1 D2 D3 D0 E1 E2 E3 E4 E0"
	if got := strings.Join(q.Codes(), " "); got != want {
		t.Errorf("codes = %s, want %s", got, want)
	}
	if q.Version == "" || q.Expectation == nil || q.Comment == nil || q.Comment.MaxLength != 1000 {
		t.Error("the default questionnaire lacks version, expectation or a 1,000-character comment")
	}
	if got := q.AspectOf("E3"); got != "E" {
		t.Errorf("AspectOf(E3) = %q", got)
	}
	if q.Scale[0].Label["vi"] != "Rất không hài lòng" || q.Scale[4].Label["en"] != "Very satisfied" {
		t.Error("scale labels are not those of the glossary")
	}
	quick := cat["sipas-quick"]
	if quick == nil || strings.Join(quick.Codes(), " ") != "A0 B0 C0 D0 E0" {
		t.Errorf("quick questionnaire: %v", quick)
	}
	for _, id := range []string{"A1", "A", "overall"} {
		if !q.IsIndex(id) {
			t.Errorf("IsIndex(%s) = false", id)
		}
	}
	if q.IsIndex("Q1") || q.IsIndex("F") {
		t.Error("IsIndex accepts the expectation question or an unknown aspect")
	}
}

func TestParseRefusesBrokenDefinitions(t *testing.T) {
	good := `{"id":"t","version":"1","title":{"vi":"T"},"intro":{"vi":""},"scale":[` +
		`{"value":1,"label":{"vi":"a"}},{"value":2,"label":{"vi":"b"}},{"value":3,"label":{"vi":"c"}},` +
		`{"value":4,"label":{"vi":"d"}},{"value":5,"label":{"vi":"e"}}],"not_applicable":{"vi":"n"},` +
		`"satisfied_min":4,"aspects":[{"id":"A","title":{"vi":"A"},"questions":[{"code":"A1","text":{"vi":"q"}}]}]}`
	if _, err := Parse("good.json", []byte(good)); err != nil {
		t.Fatalf("a minimal definition is refused: %v", err)
	}
	tests := []struct {
		name, def, want string
	}{
		{"syntax", `{"id": "t",`, "broken.json"},
		{"syntax position", "{\n\"id\": \"t\",\n}", "line 3"},
		{"unknown field", strings.Replace(good, `"id":"t"`, `"id":"t","colour":"red"`, 1), "unknown field"},
		{"bad id", strings.Replace(good, `"id":"t"`, `"id":"T T"`, 1), "id"},
		{"four levels", strings.Replace(good, `{"value":5,"label":{"vi":"e"}}`, `{"value":4,"label":{"vi":"e"}}`, 1), "scale[4].value"},
		{"no vietnamese", strings.Replace(good, `"text":{"vi":"q"}`, `"text":{"en":"q"}`, 1), "aspects[0].questions[0].text.vi"},
		{"duplicate code", strings.Replace(good, `"questions":[{"code":"A1","text":{"vi":"q"}}]`, `"questions":[{"code":"A1","text":{"vi":"q"}},{"code":"A1","text":{"vi":"r"}}]`, 1), "already used"},
		{"empty aspect", strings.Replace(good, `"questions":[{"code":"A1","text":{"vi":"q"}}]`, `"questions":[]`, 1), "no questions"},
		{"no version", strings.Replace(good, `"version":"1"`, `"version":""`, 1), "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("broken.json", []byte(tt.def))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), "broken.json") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q should name the file and %q", err, tt.want)
			}
		})
	}
	if _, err := Load(fstest.MapFS{"a.json": {Data: []byte(good)}, "b.json": {Data: []byte(good)}}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("two files with one id: %v", err)
	}
	if _, err := Load(fstest.MapFS{}); err == nil {
		t.Error("an empty folder loads")
	}
	if _, err := (Catalog{}).Get("nope"); !errors.Is(err, ErrUnknownSurvey) {
		t.Errorf("Get(nope) = %v", err)
	}
}

func TestParseForm(t *testing.T) {
	q := mustDefault(t)
	long := strings.Repeat("ă", 1001)
	tests := []struct {
		name     string
		form     url.Values
		wantErrs map[string]string
		check    func(t *testing.T, r Response)
	}{
		{"answers and comment", url.Values{"A1": {"4"}, "E0": {"1"}, "B1": {""}, "comment": {" Tốt\r\nlắm "}, "Q1": {"time", "A"}, "lang": {"en"}}, nil,
			func(t *testing.T, r Response) {
				if r.Answers[0] != 4 || r.Answers[23] != 1 || r.Answered() != 2 {
					t.Errorf("answers = %v", r.Answers)
				}
				if r.Comment != "Tốt\nlắm" {
					t.Errorf("comment = %q", r.Comment)
				}
				if strings.Join(r.Expectations, " ") != "A time" {
					t.Errorf("expectations = %v (want questionnaire order)", r.Expectations)
				}
			}},
		{"blank form", url.Values{}, nil, func(t *testing.T, r Response) {
			if r.Answered() != 0 {
				t.Error("blank form has answers")
			}
		}},
		{"out of range", url.Values{"A1": {"7"}, "A2": {"0"}, "A3": {"4.0"}, "A0": {" 4"}}, map[string]string{"A1": ErrKeyChoose, "A2": ErrKeyChoose, "A3": ErrKeyChoose, "A0": ErrKeyChoose}, nil},
		{"repeated", url.Values{"A1": {"4", "5"}}, map[string]string{"A1": ErrKeyRepeated}, nil},
		{"unknown field", url.Values{"Z9": {"4"}}, map[string]string{"_form": ErrKeyUnknownField}, nil},
		{"comment too long", url.Values{"comment": {long}}, map[string]string{"comment": ErrKeyTooLong}, nil},
		{"comment of 1000 letters", url.Values{"comment": {long[:len(long)-len("ă")]}}, nil, nil},
		{"broken utf-8", url.Values{"comment": {"t\xffx"}}, map[string]string{"comment": ErrKeyUTF8}, nil},
		{"too many choices", url.Values{"Q1": {"A", "B", "C", "D"}}, map[string]string{"Q1": ErrKeyTooMany}, nil},
		{"unknown choice", url.Values{"Q1": {"X"}}, map[string]string{"Q1": ErrKeyUnknownOpt}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, errs := q.ParseForm(tt.form, "lang")
			if len(errs) != len(tt.wantErrs) {
				t.Fatalf("errors = %v, want %v", errs, tt.wantErrs)
			}
			for k, v := range tt.wantErrs {
				if errs[k] != v {
					t.Errorf("error[%s] = %q, want %q", k, errs[k], v)
				}
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestEncodeDecodeAnswers(t *testing.T) {
	q := mustDefault(t)
	a := make([]uint8, len(q.Codes()))
	a[0], a[5], a[23] = 5, 1, 3
	enc := EncodeAnswers(q.Codes(), a)
	if enc != "A1:5 B2:1 E0:3" {
		t.Errorf("encoded = %q", enc)
	}
	got := make([]uint8, len(a))
	got[1] = 9 // must be cleared
	if err := q.DecodeAnswers(enc+" OLD9:4", got); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(a) {
		t.Errorf("decoded %v, want %v (unknown codes of older versions skipped)", got, a)
	}
	for _, bad := range []string{"A1", "A1:6", "A1:", "A1:44"} {
		if err := q.DecodeAnswers(bad, got); err == nil {
			t.Errorf("DecodeAnswers(%q) accepted", bad)
		}
	}
}
