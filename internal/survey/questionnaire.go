// Package survey holds questionnaires as data: their aspects, criteria, answer scale and
// wording in each language (Vietnamese required), how they are loaded and validated, and how a citizen's
// submitted form becomes a Response. It does no I/O besides reading an fs.FS.
package survey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"sipas/internal/i18n"
)

// Text is one piece of wording in each language, by language code, as written in
// surveys/*.json: {"vi": "…", "en": "…"}. The default language (i18n.Default, Vietnamese) is
// required; a language without its own wording shows that one.
type Text map[string]string

// In returns the text in lang, falling back to the default language's.
func (t Text) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	return t[i18n.Default]
}

// langCodeRE is what a language key of a Text looks like (a BCP 47 primary subtag).
var langCodeRE = regexp.MustCompile(`^[a-z]{2,3}$`)

// Level is one point of the answer scale.
type Level struct {
	Value int  `json:"value"`
	Label Text `json:"label"`
}

// Question is one scored criterion (A1, …, E0).
type Question struct {
	Code string `json:"code"`
	Text Text   `json:"text"`
}

// Aspect is one element (yếu tố) of the questionnaire: A–E in SIPAS.
type Aspect struct {
	ID        string     `json:"id"`
	Title     Text       `json:"title"`
	Questions []Question `json:"questions"`
}

// Option is one choice of the expectation question.
type Option struct {
	Code string `json:"code"`
	Text Text   `json:"text"`
}

// Expectation is the "what should improve most" question (Q1): several choices, not scored.
type Expectation struct {
	Code       string   `json:"code"`
	Text       Text     `json:"text"`
	MaxChoices int      `json:"max_choices"`
	Options    []Option `json:"options"`
}

// Comment is the optional free-text question (Q2).
type Comment struct {
	Code      string `json:"code"`
	Text      Text   `json:"text"`
	MaxLength int    `json:"max_length"`
}

// Questionnaire is one survey definition. ID and Version are recorded with every response.
type Questionnaire struct {
	ID            string       `json:"id"`
	Version       string       `json:"version"`
	Title         Text         `json:"title"`
	Intro         Text         `json:"intro"`
	Scale         []Level      `json:"scale"`
	NotApplicable Text         `json:"not_applicable"`
	SatisfiedMin  int          `json:"satisfied_min"`
	Aspects       []Aspect     `json:"aspects"`
	Expectation   *Expectation `json:"expectation,omitempty"`
	Comment       *Comment     `json:"comment,omitempty"`

	codes []string       // scored question codes in order
	pos   map[string]int // code → position in codes
}

// DefaultID is the questionnaire used when none is named.
const DefaultID = "sipas"

// Codes returns the scored question codes in questionnaire order. The slice must not be modified.
func (q *Questionnaire) Codes() []string { return q.codes }

// Position returns the index of a scored question code in Codes.
func (q *Questionnaire) Position(code string) (int, bool) {
	i, ok := q.pos[code]
	return i, ok
}

// AspectOf returns the aspect ID of a question code, or "".
func (q *Questionnaire) AspectOf(code string) string {
	for _, a := range q.Aspects {
		for _, qq := range a.Questions {
			if qq.Code == code {
				return a.ID
			}
		}
	}
	return ""
}

// IsIndex reports whether id names an index of this questionnaire: a question code, an aspect
// ID or "overall".
func (q *Questionnaire) IsIndex(id string) bool {
	if id == "overall" {
		return true
	}
	if _, ok := q.pos[id]; ok {
		return true
	}
	for _, a := range q.Aspects {
		if a.ID == id {
			return true
		}
	}
	return false
}

// MaxComment is the comment length limit in characters.
func (q *Questionnaire) MaxComment() int {
	if q.Comment == nil {
		return 0
	}
	return q.Comment.MaxLength
}

var codeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,15}$`)
var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// Parse decodes and validates one definition. name is used in error messages.
func Parse(name string, data []byte) (*Questionnaire, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var q Questionnaire
	if err := dec.Decode(&q); err != nil {
		return nil, &DefinitionError{File: name, Problem: jsonProblem(data, err)}
	}
	if dec.More() {
		return nil, &DefinitionError{File: name, Problem: "trailing data after the definition"}
	}
	if err := q.validate(); err != nil {
		return nil, &DefinitionError{File: name, Problem: err.Error()}
	}
	return &q, nil
}

// DefinitionError is a questionnaire definition that cannot be used: the file and what is
// wrong with it, in the terms of the file (line and column, field names), never a Go type.
type DefinitionError struct {
	File    string
	Problem string
}

// Error returns "survey: FILE: problem".
func (e *DefinitionError) Error() string { return "survey: " + e.File + ": " + e.Problem }

// jsonProblem says what is wrong with the JSON of a definition, with the line and column of a
// syntax or type error.
func jsonProblem(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	msg := strings.TrimPrefix(err.Error(), "json: ")
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		msg = fmt.Sprintf("field %q is %s, not %s", te.Field, te.Value, jsonKind(te.Type.Kind()))
	}
	if off < 0 || off > int64(len(data)) {
		return msg
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d: %s", line, col, msg)
}

// jsonKind names what JSON value a Go kind is decoded from.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return "a number"
}

// checker gathers every problem of a definition, so that all are reported at once.
type checker struct {
	errs []string
	seen map[string]string // question, aspect and extra codes → where they were first used
}

func (c *checker) bad(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// text checks one piece of wording: the default language's is required, every key is a
// language code and every text valid UTF-8.
func (c *checker) text(field string, t Text) {
	if strings.TrimSpace(t[i18n.Default]) == "" {
		c.bad("%s.%s is empty (Vietnamese wording is required)", field, i18n.Default)
	}
	for _, lang := range slices.Sorted(maps.Keys(t)) {
		if !langCodeRE.MatchString(lang) {
			c.bad("%s: %q is not a language code (vi, en, …)", field, lang)
		}
		if !utf8.ValidString(t[lang]) {
			c.bad("%s.%s is not valid UTF-8", field, lang)
		}
	}
}

// claim records that where uses code, which no other element may use.
func (c *checker) claim(code, where string) {
	if prev, ok := c.seen[code]; ok {
		c.bad("%s: code %q is already used by %s", where, code, prev)
	}
	c.seen[code] = where
}

func (q *Questionnaire) validate() error {
	c := &checker{seen: map[string]string{}}
	q.checkHeader(c)
	q.checkAspects(c)
	q.checkExtras(c)
	if len(c.errs) > 0 {
		return errors.New(strings.Join(c.errs, "; "))
	}
	return nil
}

// checkHeader checks the id, version, title and answer scale.
func (q *Questionnaire) checkHeader(c *checker) {
	if !idRE.MatchString(q.ID) {
		c.bad("id %q must be lowercase letters, digits and hyphens", q.ID)
	}
	if strings.TrimSpace(q.Version) == "" {
		c.bad("version is empty")
	}
	c.text("title", q.Title)
	if len(q.Scale) != 5 {
		c.bad("scale has %d levels, want 5 (values 1–5)", len(q.Scale))
	}
	for i, l := range q.Scale {
		if l.Value != i+1 {
			c.bad("scale[%d].value is %d, want %d", i, l.Value, i+1)
		}
		c.text(fmt.Sprintf("scale[%d].label", i), l.Label)
	}
	c.text("not_applicable", q.NotApplicable)
	if q.SatisfiedMin < 2 || q.SatisfiedMin > 5 {
		c.bad("satisfied_min is %d, want 2–5 (SIPAS: 4)", q.SatisfiedMin)
	}
}

// checkAspects checks the aspects and their questions, and numbers the scored codes.
func (q *Questionnaire) checkAspects(c *checker) {
	if len(q.Aspects) == 0 {
		c.bad("aspects is empty")
	}
	q.codes, q.pos = nil, map[string]int{}
	for i, a := range q.Aspects {
		where := fmt.Sprintf("aspects[%d]", i)
		if !codeRE.MatchString(a.ID) {
			c.bad("%s.id %q must be uppercase letters and digits", where, a.ID)
		}
		if a.ID == "overall" {
			c.bad("%s.id may not be \"overall\"", where)
		}
		c.claim(a.ID, where)
		c.text(where+".title", a.Title)
		if len(a.Questions) == 0 {
			c.bad("%s (%s) has no questions", where, a.ID)
		}
		for j, qq := range a.Questions {
			qw := fmt.Sprintf("%s.questions[%d]", where, j)
			if !codeRE.MatchString(qq.Code) {
				c.bad("%s.code %q must be uppercase letters and digits", qw, qq.Code)
			}
			c.claim(qq.Code, qw)
			c.text(qw+".text", qq.Text)
			q.pos[qq.Code] = len(q.codes)
			q.codes = append(q.codes, qq.Code)
		}
	}
}

// checkExtras checks the unscored questions: expectations and the comment.
func (q *Questionnaire) checkExtras(c *checker) {
	if e := q.Expectation; e != nil {
		c.claim(e.Code, "expectation")
		c.text("expectation.text", e.Text)
		if len(e.Options) == 0 || e.MaxChoices < 1 || e.MaxChoices > len(e.Options) {
			c.bad("expectation needs options and 1 ≤ max_choices ≤ number of options")
		}
		opts := map[string]bool{}
		for i, o := range e.Options {
			if o.Code == "" || opts[o.Code] {
				c.bad("expectation.options[%d].code %q is empty or repeated", i, o.Code)
			}
			opts[o.Code] = true
			c.text(fmt.Sprintf("expectation.options[%d].text", i), o.Text)
		}
	}
	if cm := q.Comment; cm != nil {
		c.claim(cm.Code, "comment")
		c.text("comment.text", cm.Text)
		if cm.MaxLength < 1 || cm.MaxLength > 10000 {
			c.bad("comment.max_length is %d, want 1–10000", cm.MaxLength)
		}
	}
}

// Catalog is the set of questionnaires the service knows, by ID.
type Catalog map[string]*Questionnaire

// Load reads and validates every *.json file at the top of fsys. Any broken definition fails the
// whole load, with the file and the problem named; two files with the same id are refused too.
func Load(fsys fs.FS) (Catalog, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("survey: load: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("survey: load: no *.json questionnaire definitions found")
	}
	sort.Strings(names)
	cat := Catalog{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("survey: load: %w", err)
		}
		q, err := Parse(path.Base(name), data)
		if err != nil {
			return nil, err
		}
		if _, dup := cat[q.ID]; dup {
			return nil, fmt.Errorf("survey: %s: id %q is defined twice", name, q.ID)
		}
		cat[q.ID] = q
	}
	return cat, nil
}

// Get returns the questionnaire with that id, or ErrUnknownSurvey.
func (c Catalog) Get(id string) (*Questionnaire, error) {
	if id == "" {
		id = DefaultID
	}
	q, ok := c[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSurvey, id)
	}
	return q, nil
}

// ErrUnknownSurvey is returned for a survey id that no definition has.
var ErrUnknownSurvey = errors.New("survey: unknown survey")
