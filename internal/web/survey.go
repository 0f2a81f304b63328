package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"sipas/internal/fault"
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
	Notice     string // catalogue key of the sentence above a form shown again
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
// A valid answer to an open receipt is stored whatever else its address has sent (limits.go);
// anything else that reaches the form (invalid, empty, too large, or not stored because sipas
// is busy) gets the form back, filled in as sent (errors.go, formError).
func (s *Server) handleSurveySubmit(c echo.Context) error {
	tok, rc, q, err := s.citizenSurvey(c)
	if err != nil {
		return err
	}
	form, err := s.readForm(c)
	tooLarge := errors.Is(err, errBodyTooLarge)
	if err != nil && !tooLarge {
		return err
	}
	p := s.refillPage(c, s.newSurveyPage(c, tok, rc, q), form, tooLarge)
	render := func(status int, notice string) error {
		p.Notice = notice
		return s.render(c, status, "survey.html", p)
	}
	resp, verrs := q.ParseForm(form, formFieldsIgnored...)
	p.Errors = verrs
	switch {
	case tooLarge:
		return tooLargeFormError(render)
	case verrs != nil:
		return newFormError(verrs, render)
	case resp.Empty():
		return emptyFormError(render)
	}
	if err := s.store.SubmitResponse(c.Request().Context(), tok.Hash(), store.Submission{
		SurveyID: q.ID, SurveyVersion: q.Version, Source: "web",
		Answers:      survey.EncodeAnswers(q.Codes(), resp.Answers),
		Expectations: strings.Join(resp.Expectations, " "), Comment: resp.Comment,
	}); err != nil {
		if receiptGone(err) {
			return err // answered (or withdrawn) meanwhile: there is no form to show again
		}
		return storeFormError(err, render)
	}
	return c.Redirect(http.StatusSeeOther, "/thanks"+s.langQuery(s.lang(c)))
}

// refillPage is the survey page p filled in with a refused form's values. It posts back to
// its own URL (no action) and switches language by query alone, so that, like an error page,
// it does not carry the token. The comment of a form over the body limit is cut to the
// questionnaire's length.
func (s *Server) refillPage(c echo.Context, p surveyPage, form url.Values, tooLarge bool) surveyPage {
	q := p.Survey
	p.Action = ""
	p.Switch = s.languageLinks(p.Lang, func(code string) string { return "?lang=" + code })
	p.Values, p.Chosen, p.Comment = formValues(q, form), formChosen(q, form), strings.ToValidUTF8(form.Get(survey.FormFieldComment), "")
	if tooLarge {
		p.Comment = cutRunes(p.Comment, q.Comment)
	}
	return p
}

// cutRunes cuts a comment to the questionnaire's length.
func cutRunes(comment string, def *survey.Comment) string {
	if def != nil && utf8.RuneCountInString(comment) > def.MaxLength {
		return string([]rune(comment)[:def.MaxLength])
	}
	return comment
}

// receiptGone reports whether err says the receipt can no longer be answered.
func receiptGone(err error) bool {
	switch classify(err).fault.Kind {
	case fault.NotFound, fault.Conflict, fault.Gone:
		return true
	}
	return false
}

// errBodyTooLarge is a form body over Config.BodyLimit.
var errBodyTooLarge = echo.ErrStatusRequestEntityTooLarge

// readForm reads an application/x-www-form-urlencoded body (the only kind the citizens' and
// kiosks' forms send) of at most Config.BodyLimit bytes. Over the limit it returns what fitted
// with errBodyTooLarge, the last field cut where the limit fell, so that a form can be shown
// again with everything the citizen chose and the start of what they typed.
func (s *Server) readForm(c echo.Context) (url.Values, error) {
	req := c.Request()
	if !strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		return url.Values{}, echo.NewHTTPError(http.StatusUnsupportedMediaType)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, s.cfg.BodyLimit+1))
	if err != nil {
		return url.Values{}, echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	tooLarge := int64(len(body)) > s.cfg.BodyLimit
	if tooLarge {
		body = body[:s.cfg.BodyLimit]
		if i := bytes.LastIndexByte(body, '%'); i >= len(body)-2 && i >= 0 {
			body = body[:i] // a percent escape cut in two
		}
	}
	form, err := url.ParseQuery(string(body))
	req.Form, req.PostForm = form, form
	switch {
	case tooLarge:
		return form, errBodyTooLarge
	case err != nil:
		return form, echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	return form, nil
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
