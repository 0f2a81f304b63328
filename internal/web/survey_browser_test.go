package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sipas/internal/readback"
)

// The citizen's survey on cheap phones, in a real browser: at 320, 360 and 390 CSS pixels, in
// Vietnamese and English, the page never scrolls sideways, its scale labels are at least
// 16 px with no word broken across lines, it shows its parts ("Phần 2/5") and axe-core finds
// no WCAG 2.2 A/AA violation; an empty form is refused and the receipt stays open; a refused
// form comes back with what was chosen and typed, and once corrected it is stored.
func TestSurveyOnPhones(t *testing.T) {
	ts := newTestServer(t)
	hs := httptest.NewServer(ts.srv)
	t.Cleanup(hs.Close)
	tab := readback.Browser(t, 4*time.Minute)
	for _, width := range []int64{320, 360, 390} {
		for _, lang := range []string{"vi", "en"} {
			t.Run(fmt.Sprintf("%d px %s", width, lang), func(t *testing.T) {
				if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 720, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
					t.Fatal(err)
				}
				phoneSurvey(t, ts, tab, hs.URL, lang)
			})
		}
	}
}

// phoneWords are what the test expects in each language.
var phoneWords = map[string]struct{ part, empty, submit string }{
	"vi": {"Phần 2/5", "Phiếu chưa có câu trả lời nào", "Gửi đánh giá"},
	"en": {"Part 2/5", "Nothing was answered", "Submit"},
}

func phoneSurvey(t *testing.T, ts *testServer, ctx context.Context, base, lang string) {
	t.Helper()
	tok := ts.receipt(t)
	query := ""
	if lang != "vi" {
		query = "?lang=" + lang
	}
	words := phoneWords[lang]
	within(t, ctx, 20*time.Second, "open the survey", chromedp.Navigate(base+"/s/"+string(tok)+query), chromedp.WaitVisible(chromedp.CSS("form button[type=submit]")))
	checkPhonePage(t, ctx, "the survey", words.part)

	// Submit with nothing chosen: refused, the receipt still open.
	within(t, ctx, 20*time.Second, "submit empty", chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.ID("errors")))
	if got := jsValue[string](t, ctx, `document.getElementById('errors').innerText`); !strings.Contains(got, words.empty) {
		t.Errorf("empty form: the notice is %q, want %q", got, words.empty)
	}
	if ts.answered(t, tok) {
		t.Fatal("the empty form answered the receipt")
	}
	checkPhonePage(t, ctx, "the empty form refused", "")

	// Choose A1 = 4, type a comment, and send a value the server refuses for A2 (a form from
	// an older page, say): the form comes back with A1 and the comment kept, the error by A2.
	const comment = "Chờ hơi lâu ở quầy số 3"
	within(t, ctx, 20*time.Second, "answer with a refused value",
		chromedp.Click(chromedp.CSS(`input[name="A1"][value="4"]`)),
		chromedp.SendKeys(chromedp.ID("comment"), comment),
		chromedp.Evaluate[chromedp.Void](`(r => { r.value = '9'; r.checked = true; })(document.querySelector('input[name="A2"][value="5"]'))`),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("A2-e")))
	kept := jsValue[string](t, ctx, `JSON.stringify([document.querySelector('input[name="A1"][value="4"]').checked, document.getElementById('comment').value])`)
	if kept != fmt.Sprintf(`[true,%q]`, comment) {
		t.Errorf("the refused form came back with [A1 = 4 checked, comment] = %s", kept)
	}
	checkPhonePage(t, ctx, "the refused form", "")

	// Correct it and send: stored.
	within(t, ctx, 20*time.Second, "correct and send",
		chromedp.Click(chromedp.CSS(`input[name="A2"][value="5"]`)),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".msg")))
	if !ts.answered(t, tok) {
		t.Error("the corrected form was not stored")
	}
}

// phoneLayout is what the page measures of itself.
type phoneLayout struct {
	Overflow float64  `json:"overflow"` // CSS px the page is wider than the screen
	Wide     []string `json:"wide"`     // elements that reach past the right edge
	Labels   int      `json:"labels"`
	MinFont  float64  `json:"minFont"` // smallest font size of a scale label, px
	Broken   []string `json:"broken"`  // words of scale labels broken across lines
	Text     string   `json:"text"`
}

const measurePhone = `(() => {
	const de = document.documentElement, w = de.clientWidth;
	const wide = [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > w + 0.5)
		.slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').slice(0, 30));
	const labels = [...document.querySelectorAll('.r label')];
	const broken = [];
	for (const l of labels) {
		const walk = document.createTreeWalker(l, NodeFilter.SHOW_TEXT);
		for (let n; (n = walk.nextNode());) {
			for (const m of n.data.matchAll(/\S+/g)) {
				const r = document.createRange();
				r.setStart(n, m.index);
				r.setEnd(n, m.index + m[0].length);
				const lines = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
				if (lines.size > 1) broken.push(m[0]);
			}
		}
	}
	return JSON.stringify({overflow: de.scrollWidth - w, wide, labels: labels.length,
		minFont: Math.min(...labels.map(l => parseFloat(getComputedStyle(l).fontSize))),
		broken: broken.slice(0, 5), text: document.body.innerText});
})()`

// checkPhonePage checks the page the tab shows: no sideways scrolling, readable labels whose
// words stay whole, the part heading wanted (if any), and no axe-core violation.
func checkPhonePage(t *testing.T, tab context.Context, what, part string) {
	t.Helper()
	var m phoneLayout
	if err := json.Unmarshal([]byte(jsValue[string](t, tab, measurePhone)), &m); err != nil {
		t.Fatal(err)
	}
	if m.Overflow > 0 || len(m.Wide) > 0 {
		t.Errorf("%s: %v px wider than the screen; past the edge: %q", what, m.Overflow, m.Wide)
	}
	if m.Labels == 0 || m.MinFont < 16 {
		t.Errorf("%s: %d scale labels, smallest %v px, want at least 16 px", what, m.Labels, m.MinFont)
	}
	if len(m.Broken) > 0 {
		t.Errorf("%s: words broken across lines in scale labels: %q", what, m.Broken)
	}
	if part != "" && !strings.Contains(m.Text, part) {
		t.Errorf("%s: no part heading %q", what, part)
	}
	for _, v := range readback.Axe(t, tab) {
		t.Errorf("%s: axe: %s", what, v)
	}
}
