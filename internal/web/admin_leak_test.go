package web

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"sipas/internal/readback"
	"sipas/internal/store"
)

// rivalTexts are everything of the rival agencies an agency user must never see.
func rivalTexts() []string {
	var out []string
	for _, r := range rivals {
		out = append(out, r.code, r.name, r.comment, r.comment23)
	}
	return out
}

// outputText is the text of an answer whatever its format: XLSX parts are unzipped and
// concatenated, a PDF goes through pdftotext, anything else is as sent.
func outputText(t *testing.T, ctype string, body []byte) string {
	t.Helper()
	switch {
	case strings.HasPrefix(ctype, "application/vnd.openxmlformats"):
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatalf("XLSX answer is not a zip: %v", err)
		}
		var b strings.Builder
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(&b, rc)
			rc.Close()
			b.WriteString("\n")
		}
		return b.String()
	case strings.HasPrefix(ctype, "application/pdf"):
		return readback.PDFText(t, body)
	}
	return string(body)
}

// TestAgencyUserSeesOnlyOwnAgency opens every page and export an agency user has, with every
// filter, and scans each answer for the other agencies' codes, names and comments. Asking for
// another agency outright is refused.
func TestAgencyUserSeesOnlyOwnAgency(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	agency := e.sessions["agency"]
	y := strconv.Itoa(e.year)
	rival := rivals[0].code
	type output struct {
		path    string
		ownText []string // what the page must show of the user's own agency (the scan is not vacuous)
	}
	outputs := []output{
		{"/admin/", []string{ownAgencyName}},
		{"/admin/?year=" + y + "&baseline=2023", []string{ownAgencyName}},
		{"/admin/?year=" + y + "&baseline=none&level=province", []string{ownAgencyName}},
		{"/admin/?year=" + y + "&baseline=2023&level=commune", nil},
		{"/admin/?year=" + y + "&baseline=2023&channel=online", []string{ownAgencyName}},
		{"/admin/?year=2023&baseline=none", []string{ownAgencyName}},
		{"/admin/?lang=en", []string{ownAgencyName}},
		{"/admin/?agency=" + ownAgency, []string{ownAgencyName}},
		{"/admin/comments", []string{ownComment}},
		{"/admin/comments?hidden=all", []string{ownComment}},
		{"/admin/comments?hidden=1", nil},
		{"/admin/comments?q=" + url.QueryEscape("Bí mật"), nil},
		{"/admin/comments?year=2023&hidden=all", []string{ownComment23}},
		{"/admin/comments?agency=" + ownAgency, []string{ownComment}},
		{"/admin/sample-size", []string{ownAgencyName}},
		{"/admin/communes?level=province", []string{ownAgencyName}},
		{"/admin/communes?level=commune&baseline=none", nil},
		{"/admin/communes?level=district&lang=en", nil},
		{"/admin/sample-size?year=2023&margin=0.03", []string{ownAgencyName}},
		{"/admin/sample-size?agency=" + rival, []string{ownAgencyName}}, // the parameter is not one of this page's
		{"/api/v1/reports/index?year=" + y + "&baseline=2023&format=json", []string{`"agency":"` + ownAgency + `"`}},
		{"/api/v1/reports/index?year=" + y + "&baseline=2023&format=csv", []string{"overall,overall"}},
		{"/api/v1/reports/index?year=" + y + "&baseline=2023&format=xlsx", []string{ownAgencyName}},
		{"/api/v1/reports/index?year=" + y + "&baseline=2023&format=pdf", []string{ownAgency}},
		{"/api/v1/reports/index?year=" + y + "&baseline=2023&format=csv&level=province&channel=counter", nil},
		{"/api/v1/reports/index?year=2023&format=json&agency=" + ownAgency, []string{ownAgency}},
		{"/api/v1/responses?year=" + y, []string{ownAgency, ownComment}},
		{"/api/v1/responses?year=" + y + "&format=xlsx", []string{ownAgency, ownComment}},
		{"/api/v1/responses?year=2023&format=csv", []string{ownComment23}},
		{"/api/v1/responses?year=2023&format=xlsx&agency=" + ownAgency, []string{ownComment23}},
	}
	for _, o := range outputs {
		t.Run(o.path, func(t *testing.T) {
			rec := e.get(t, o.path, agency)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200\n%.800s", rec.Code, rec.Body.String())
			}
			text := outputText(t, rec.Header().Get("Content-Type"), rec.Body.Bytes())
			for _, w := range rivalTexts() {
				if strings.Contains(text, w) {
					t.Errorf("the agency user's answer contains %q of another agency", w)
				}
			}
			for _, w := range o.ownText {
				if !strings.Contains(text, w) {
					t.Errorf("answer lacks the user's own %q, so the scan proves nothing\n%.1500s", w, text)
				}
			}
			for _, w := range e.never() {
				if strings.Contains(text, w) {
					t.Errorf("answer contains %q", w)
				}
			}
		})
	}

	// Asking for another agency is refused, not narrowed silently to nothing.
	for _, path := range []string{
		"/admin/?agency=" + rival,
		"/admin/?year=" + y + "&baseline=2023&agency=" + rival,
		"/admin/comments?agency=" + rival,
		"/admin/comments?hidden=all&agency=" + rival,
		"/api/v1/reports/index?year=" + y + "&format=json&agency=" + rival,
		"/api/v1/reports/index?year=" + y + "&format=csv&agency=" + rival,
		"/api/v1/reports/index?year=" + y + "&format=xlsx&agency=" + rival,
		"/api/v1/reports/index?year=" + y + "&format=pdf&agency=" + rival,
		"/api/v1/reports/index?year=" + y + "&agency=NO.SUCH",
		"/api/v1/responses?year=" + y + "&agency=" + rival,
		"/api/v1/responses?year=" + y + "&format=xlsx&agency=" + rival,
	} {
		t.Run("refused "+path, func(t *testing.T) {
			rec := e.get(t, path, agency)
			if rec.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403\n%.800s", rec.Code, rec.Body.String())
			}
			for _, w := range append(rivalTexts()[1:], ownComment) {
				if strings.Contains(rec.Body.String(), w) {
					t.Errorf("403 answer contains %q", w)
				}
			}
			if strings.HasPrefix(path, "/api/") {
				checkAPIError(t, rec, "forbidden")
			}
		})
	}

	// Nor can the agency user moderate anyone's comments.
	for _, text := range []string{ownComment, rivals[0].comment} {
		rec := e.send(t, http.MethodPost, "/admin/comments/"+strconv.FormatInt(e.comments[text], 10), form("_csrf", "{csrf}", "hidden", "1"), "", agency, nil)
		if rec.Code != http.StatusForbidden {
			t.Errorf("agency user hides a comment: status %d, want 403", rec.Code)
		}
	}
	if got := len(mustComments(t, e, true)); got != 0 {
		t.Errorf("%d comments hidden, want 0", got)
	}
}

func mustComments(t *testing.T, e *adminEnv, hidden bool) []string {
	t.Helper()
	var out []string
	list, err := e.st.ListComments(t.Context(), store.CommentFilter{SurveyID: e.q.ID, Year: e.year, Hidden: &hidden, PerPage: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Comments {
		out = append(out, c.Text)
	}
	return out
}

// TestAnalystSeesEveryAgency is the control of the scan above: with every agency in scope the
// same outputs do contain the rivals' codes, names and comments.
func TestAnalystSeesEveryAgency(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	analyst := e.sessions["analyst"]
	y := strconv.Itoa(e.year)
	for path, want := range map[string][]string{
		"/admin/":                        {rivals[0].name, rivals[1].name, rivals[2].name, ownAgencyName},
		"/admin/comments":                {rivals[0].comment, rivals[1].comment, ownComment},
		"/admin/sample-size":             {rivals[2].name, ownAgencyName},
		"/admin/communes?level=province": {rivals[0].name, ownAgencyName},
		"/api/v1/responses?year=" + y:    {rivals[0].code, rivals[2].comment},
		"/api/v1/reports/index?year=" + y + "&baseline=2023&format=xlsx": {rivals[1].name},
		"/admin/?agency=" + rivals[0].code:                               {rivals[0].name},
	} {
		rec := e.get(t, path, analyst)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d, want 200", path, rec.Code)
			continue
		}
		text := outputText(t, rec.Header().Get("Content-Type"), rec.Body.Bytes())
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the analyst's answer lacks %q", path, w)
			}
		}
	}
}

// TestAgencyDownloadsAuditTheirScope: the audit log names the agency whose data an agency
// user downloaded, although the request did not name it.
func TestAgencyDownloadsAuditTheirScope(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	y := strconv.Itoa(e.year)
	for _, path := range []string{"/api/v1/reports/index?year=" + y + "&format=xlsx", "/api/v1/responses?year=" + y + "&format=csv"} {
		if rec := e.get(t, path, e.sessions["agency"]); rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", path, rec.Code)
		}
	}
	wantAudit(t, e.st, "report.download", agencyEmail, "agency="+ownAgency)
	wantAudit(t, e.st, "responses.export", agencyEmail, "agency="+ownAgency)
}
