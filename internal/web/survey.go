package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/survey"
)

// surveyPage is the data of survey.html.
type surveyPage struct {
	page
	Survey     *survey.Questionnaire
	AgencyName string
	Action     string
	Errors     survey.ValidationErrors
	Values     map[string]int  // answers to show again after a refused submission
	Chosen     map[string]bool // expectation options chosen
	Comment    string
}

// openReceipt finds the unanswered receipt of a code from a citizen URL (/s/:token) or typed
// or scanned at a kiosk. A signed token, minted offline, is checked against its secret and
// validity window and its receipt created on this first use (docs/tokens.md §5.3).
func (s *Server) openReceipt(c echo.Context, code string) (receipt.Token, store.Receipt, error) {
	tok, err := receipt.ParseToken(code)
	if err != nil {
		return "", store.Receipt{}, err
	}
	var rc store.Receipt
	if receipt.IsSigned(tok) {
		rc, err = s.store.AcceptSignedToken(c.Request().Context(), tok, s.tokenPolicy())
	} else {
		rc, err = s.store.FindReceiptByTokenHash(c.Request().Context(), tok.Hash())
	}
	if err != nil {
		return "", store.Receipt{}, err
	}
	if rc.Answered {
		return "", store.Receipt{}, receipt.ErrAlreadyUsed
	}
	return tok, rc, nil
}

// handleSurveyShow handles "GET /s/:token": the questionnaire for one receipt.
func (s *Server) handleSurveyShow(c echo.Context) error {
	tok, rc, q, err := s.citizenSurvey(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "survey.html", s.newSurveyPage(c, tok, rc, q))
}

// citizenSurvey is the receipt of a citizen's /s/:token and the questionnaire it answers.
func (s *Server) citizenSurvey(c echo.Context) (receipt.Token, store.Receipt, *survey.Questionnaire, error) {
	tok, rc, err := s.openReceipt(c, c.Param("token"))
	if err != nil {
		return "", store.Receipt{}, nil, err
	}
	q, err := s.surveys.Get(survey.DefaultID)
	return tok, rc, q, err
}

func (s *Server) newSurveyPage(c echo.Context, tok receipt.Token, rc store.Receipt, q *survey.Questionnaire) surveyPage {
	l := s.lang(c)
	action := "/s/" + string(tok) + s.langQuery(l)
	return surveyPage{
		page:       page{Lang: l, Title: q.Title.In(l), Switch: s.switchLinks(c)},
		Survey:     q,
		AgencyName: rc.AgencyName,
		Action:     action,
	}
}

// formFieldsIgnored are fields a survey form may carry that are not answers.
var formFieldsIgnored = []string{"lang"}

// handleSurveySubmit handles "POST /s/:token": it validates and stores one citizen's answers.
func (s *Server) handleSurveySubmit(c echo.Context) error {
	tok, rc, q, err := s.citizenSurvey(c)
	if err != nil {
		return err
	}
	form, err := parseForm(c)
	if err != nil {
		return err
	}
	resp, verrs := q.ParseForm(form, formFieldsIgnored...)
	if verrs != nil {
		p := s.newSurveyPage(c, tok, rc, q)
		p.Errors, p.Values, p.Chosen, p.Comment = verrs, formValues(q, form), formChosen(q, form), strings.ToValidUTF8(form.Get("comment"), "")
		return newFormError(verrs, func(status int) error { return s.render(c, status, "survey.html", p) })
	}
	if err := s.store.SubmitResponse(c.Request().Context(), tok.Hash(), store.Submission{
		SurveyID: q.ID, SurveyVersion: q.Version, Source: "web",
		Answers:      survey.EncodeAnswers(q.Codes(), resp.Answers),
		Expectations: strings.Join(resp.Expectations, " "), Comment: resp.Comment,
	}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/thanks"+s.langQuery(s.lang(c)))
}

// parseForm reads an application/x-www-form-urlencoded body (the only kind a survey form
// sends). An oversized body has already been refused by the BodyLimit middleware.
func parseForm(c echo.Context) (url.Values, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, echo.MIMEApplicationForm) {
		return nil, echo.NewHTTPError(http.StatusUnsupportedMediaType)
	}
	if err := c.Request().ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return nil, echo.NewHTTPError(http.StatusBadRequest)
	}
	return c.Request().PostForm, nil
}

// formValues keeps the valid answers of a refused form so the citizen does not answer again.
func formValues(q *survey.Questionnaire, form url.Values) map[string]int {
	vals := map[string]int{}
	for _, code := range q.Codes() {
		if v := form.Get(code); len(v) == 1 && v[0] >= '1' && v[0] <= '5' {
			vals[code] = int(v[0] - '0')
		}
	}
	return vals
}

func formChosen(q *survey.Questionnaire, form url.Values) map[string]bool {
	chosen := map[string]bool{}
	if q.Expectation != nil {
		for _, v := range form[q.Expectation.Code] {
			chosen[v] = true
		}
	}
	return chosen
}

// handleThanks handles "GET /thanks", the page after a stored answer.
func (s *Server) handleThanks(c echo.Context) error {
	return s.message(c, http.StatusOK, "ok", "thanks")
}
