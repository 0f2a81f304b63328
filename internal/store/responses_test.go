package store_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

func submission(answers, comment string) store.Submission {
	return store.Submission{SurveyID: "sipas", SurveyVersion: "2026.1", Source: "web", Answers: answers, Comment: comment}
}

func TestSubmitResponse(t *testing.T) {
	// 23:10 on 31 July in UTC is 06:10 on 1 August in Vietnam.
	at := time.Date(2024, 7, 31, 23, 10, 0, 0, time.UTC)
	s := storetest.OpenOptions(t, store.Options{Now: newClock(at).Now})
	ctx := t.Context()
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp tỉnh Minh Giang", "province")
	tok := storetest.MustCreateReceiptChannel(t, s, "MG.STP", "online")

	sub := submission("A1:4 A2:5 B1:1", "Cán bộ hướng dẫn nhiệt tình")
	sub.Expectations = "Q1_1 Q1_3"
	if err := s.SubmitResponse(ctx, tok.Hash(), sub); err != nil {
		t.Fatalf("SubmitResponse: %v", err)
	}
	rc, err := s.FindReceiptByTokenHash(ctx, tok.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if !rc.Answered {
		t.Error("receipt not marked answered after SubmitResponse")
	}
	got := storetest.Responses(t, s)
	if len(got) != 1 {
		t.Fatalf("stored %d responses, want 1", len(got))
	}
	want := storetest.StoredResponse{HasReceipt: true, AgencyCode: "MG.STP", SurveyID: "sipas", SurveyVersion: "2026.1",
		Channel: "online", Source: "web", Year: 2024, Month: 8, Answers: "A1:4 A2:5 B1:1",
		Expectations: "Q1_1 Q1_3", Comment: "Cán bộ hướng dẫn nhiệt tình"}
	if diff := cmp.Diff(want, got[0], cmpIgnoreResponseID); diff != "" {
		t.Errorf("stored response (-want +got):\n%s", diff)
	}
	// The response id is random: it must not be derived from the token.
	if id := got[0].ResponseID; id == "" || strings.Contains(id, string(tok)) || strings.Contains(tok.Hash(), strings.TrimPrefix(id, "w-")) {
		t.Errorf("response id %q is empty or derived from the token", id)
	}
	if n, err := s.CountResponses(ctx); err != nil || n != 1 {
		t.Errorf("CountResponses = %d, %v; want 1, nil", n, err)
	}
}

var cmpIgnoreResponseID = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ResponseID" }, cmp.Ignore())

func TestSubmitResponseTwiceKeepsTheFirst(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	tok := storetest.MustCreateReceipt(t, s, "A")
	if err := s.SubmitResponse(ctx, tok.Hash(), submission("A1:5", "lần đầu")); err != nil {
		t.Fatal(err)
	}
	err := s.SubmitResponse(ctx, tok.Hash(), submission("A1:1", "lần hai"))
	if !errors.Is(err, receipt.ErrAlreadyUsed) {
		t.Fatalf("second SubmitResponse: err = %v, want receipt.ErrAlreadyUsed", err)
	}
	got := storetest.Responses(t, s)
	if len(got) != 1 {
		t.Fatalf("stored %d responses, want 1", len(got))
	}
	if got, want := got[0].Answers+"|"+got[0].Comment, "A1:5|lần đầu"; got != want {
		t.Errorf("kept answer = %q, want the first %q", got, want)
	}
}

func TestSubmitResponseUnknownReceipt(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	storetest.MustCreateReceipt(t, s, "A")
	err := s.SubmitResponse(t.Context(), newToken(t).Hash(), submission("A1:5", ""))
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SubmitResponse of an unknown hash: err = %v, want ErrNotFound", err)
	}
	if n := len(storetest.Responses(t, s)); n != 0 {
		t.Errorf("stored %d responses, want 0", n)
	}
}

func TestSubmitResponseRefusedByTheSchemaStoresNothing(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	tok := storetest.MustCreateReceipt(t, s, "A")
	bad := submission("A1:5", "")
	bad.Source = "carrier-pigeon" // CHECK constraint
	if err := s.SubmitResponse(t.Context(), tok.Hash(), bad); err == nil {
		t.Fatal("SubmitResponse with a bad source = nil error, want an error")
	}
	rc, err := s.FindReceiptByTokenHash(t.Context(), tok.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if rc.Answered {
		t.Error("receipt marked answered although its response was refused")
	}
	if err := s.SubmitResponse(t.Context(), tok.Hash(), submission("A1:4", "")); err != nil {
		t.Errorf("a valid answer after a refused one: %v, want nil", err)
	}
}

func TestSubmitResponseConcurrentlyOnOneToken(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	tok := storetest.MustCreateReceipt(t, s, "A")
	other := storetest.MustCreateReceipt(t, s, "A")

	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.SubmitResponse(ctx, tok.Hash(), submission("A1:"+string(rune('1'+i%5)), ""))
		})
	}
	close(start)
	wg.Wait()

	wantOneStored(t, errs)
	if got := len(storetest.Responses(t, s)); got != 1 {
		t.Errorf("stored %d responses, want 1", got)
	}
	// The other receipt is unaffected.
	if err := s.SubmitResponse(ctx, other.Hash(), submission("A1:3", "")); err != nil {
		t.Errorf("another receipt after the race: %v", err)
	}
}

func TestScanResponsesFilters(t *testing.T) {
	clk := newClock(time.Date(2024, 3, 10, 3, 0, 0, 0, time.UTC))
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	ctx := t.Context()
	storetest.MustCreateAgency(t, s, "P", "Sở Tư pháp", "province")
	storetest.MustCreateAgency(t, s, "D", "UBND huyện Đồng Lâm", "district")
	submit := func(code, channel, answers string, sub store.Submission) {
		t.Helper()
		tok := storetest.MustCreateReceiptChannel(t, s, code, channel)
		sub.Answers = answers
		if err := s.SubmitResponse(ctx, tok.Hash(), sub); err != nil {
			t.Fatal(err)
		}
	}
	web := submission("", "")
	submit("P", "counter", "A1:1", web)
	submit("D", "online", "A1:2", web)
	submit("P", "online", "A1:3", web)
	quick := web
	quick.SurveyID = "sipas-quick"
	submit("P", "counter", "A1:4", quick)
	clk.Set(time.Date(2025, 2, 1, 3, 0, 0, 0, time.UTC))
	submit("D", "counter", "A1:5", web)

	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		f    store.ResponseFilter
		want []string // agency/channel/month/answers
	}{
		{"year", store.ResponseFilter{SurveyID: "sipas", Year: 2024}, []string{"D/online/3/A1:2", "P/counter/3/A1:1", "P/online/3/A1:3"}},
		{"other year", store.ResponseFilter{SurveyID: "sipas", Year: 2025}, []string{"D/counter/2/A1:5"}},
		{"other survey", store.ResponseFilter{SurveyID: "sipas-quick", Year: 2024}, []string{"P/counter/3/A1:4"}},
		{"agency", store.ResponseFilter{SurveyID: "sipas", Year: 2024, AgencyCode: str("P")}, []string{"P/counter/3/A1:1", "P/online/3/A1:3"}},
		{"level", store.ResponseFilter{SurveyID: "sipas", Year: 2024, Level: str("district")}, []string{"D/online/3/A1:2"}},
		{"channel", store.ResponseFilter{SurveyID: "sipas", Year: 2024, Channel: str("online")}, []string{"D/online/3/A1:2", "P/online/3/A1:3"}},
		{"all filters", store.ResponseFilter{SurveyID: "sipas", Year: 2024, AgencyCode: str("P"), Level: str("province"), Channel: str("counter")}, []string{"P/counter/3/A1:1"}},
		{"nothing", store.ResponseFilter{SurveyID: "sipas", Year: 2024, AgencyCode: str("D"), Channel: str("postal")}, nil},
		{"unknown survey", store.ResponseFilter{SurveyID: "nope", Year: 2024}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := s.ScanResponses(t.Context(), tt.f, func(r *store.ResponseRow) error {
				got = append(got, r.AgencyCode+"/"+r.Channel+"/"+itoa(r.Month)+"/"+r.Answers)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ScanResponses (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("callback error stops the scan", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := s.ScanResponses(t.Context(), store.ResponseFilter{SurveyID: "sipas", Year: 2024}, func(*store.ResponseRow) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("ScanResponses = %v after %d calls, want the callback's error after 1", err, calls)
		}
	})
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

func imported(id, agency string, line int, at time.Time, answers, comment string) store.ImportedResponse {
	y, _ := calendar.YearMonth(at)
	return store.ImportedResponse{
		Response: dataset.Response{ID: id, AgencyCode: agency, Channel: "postal", SubmittedAt: at, Year: y, Comment: comment, Line: line},
		Answers:  answers,
	}
}

func TestImportResponses(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	storetest.MustCreateAgency(t, s, "B", "Cơ quan B", "commune")
	d := func(m, day int) time.Time { return time.Date(2023, time.Month(m), day, 0, 0, 0, 0, calendar.Zone) }
	file := []store.ImportedResponse{
		imported("P23-0001", "A", 2, d(1, 5), "A1:4 A2:5", "Phí niêm yết rõ ràng"),
		imported("P23-0002", "B", 3, d(12, 31), "A1:2", ""),
		imported("P23-0003", "A", 4, d(6, 1), "B1:3", ""),
	}

	res, err := s.ImportResponses(ctx, "responses_2023.csv", "sipas", "2026.1", file)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (store.ImportResult{Created: 3}); got != want {
		t.Errorf("first import = %+v, want %+v", got, want)
	}
	first := storetest.Responses(t, s)
	want := []storetest.StoredResponse{
		{ResponseID: "P23-0001", AgencyCode: "A", SurveyID: "sipas", SurveyVersion: "2026.1", Channel: "postal", Source: "import", Year: 2023, Month: 1, Answers: "A1:4 A2:5", Comment: "Phí niêm yết rõ ràng"},
		{ResponseID: "P23-0002", AgencyCode: "B", SurveyID: "sipas", SurveyVersion: "2026.1", Channel: "postal", Source: "import", Year: 2023, Month: 12, Answers: "A1:2"},
		{ResponseID: "P23-0003", AgencyCode: "A", SurveyID: "sipas", SurveyVersion: "2026.1", Channel: "postal", Source: "import", Year: 2023, Month: 6, Answers: "B1:3"},
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("stored responses (-want +got):\n%s", diff)
	}

	t.Run("same file again changes nothing", func(t *testing.T) {
		// The same instants written in another time zone are the same content.
		again := make([]store.ImportedResponse, len(file))
		copy(again, file)
		again[0].SubmittedAt = again[0].SubmittedAt.UTC()
		res, err := s.ImportResponses(ctx, "responses_2023.csv", "sipas", "2026.1", again)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res, (store.ImportResult{Unchanged: 3}); got != want {
			t.Errorf("second import = %+v, want %+v", got, want)
		}
		if diff := cmp.Diff(first, storetest.Responses(t, s)); diff != "" {
			t.Errorf("responses changed by a repeated import (-before +after):\n%s", diff)
		}
	})

	t.Run("conflicting content refused with file and line, nothing stored", func(t *testing.T) {
		conflicting := []store.ImportedResponse{
			imported("P23-0004", "B", 2, d(2, 2), "A1:5", ""), // new, valid: must not be stored either
			imported("P23-0001", "A", 3, d(1, 5), "A1:1 A2:5", "Phí niêm yết rõ ràng"),
			imported("P23-0002", "A", 4, d(12, 31), "A1:2", ""),
			imported("P23-0003", "A", 5, d(6, 1), "B1:3", ""), // same as stored
		}
		_, err := s.ImportResponses(ctx, "fix.csv", "sipas", "2026.1", conflicting)
		if err == nil {
			t.Fatal("import of conflicting responses = nil error, want an error")
		}
		var derrs dataset.Errors
		if !errors.As(err, &derrs) {
			t.Fatalf("err = %T %v, want dataset.Errors", err, err)
		}
		var lines []string
		for _, e := range derrs {
			lines = append(lines, e.Error())
		}
		msg := strings.Join(lines, "\n")
		for _, want := range []string{"fix.csv:3:1: ", "fix.csv:4:1: ", "P23-0001", "P23-0002"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not contain %q", msg, want)
			}
		}
		if got, want := len(derrs), 2; got != want {
			t.Errorf("%d problems reported, want %d:\n%s", got, want, msg)
		}
		if diff := cmp.Diff(first, storetest.Responses(t, s)); diff != "" {
			t.Errorf("responses changed by a refused import (-before +after):\n%s", diff)
		}
	})

	t.Run("another survey with the same id conflicts", func(t *testing.T) {
		_, err := s.ImportResponses(ctx, "quick.csv", "sipas-quick", "1", file[:1])
		if err == nil || !strings.Contains(err.Error(), "quick.csv:2:1") {
			t.Errorf("err = %v, want a conflict at quick.csv:2:1", err)
		}
	})

	t.Run("unknown agency refuses the file", func(t *testing.T) {
		_, err := s.ImportResponses(ctx, "x.csv", "sipas", "2026.1", []store.ImportedResponse{
			imported("P23-0100", "A", 2, d(3, 3), "A1:5", ""),
			imported("P23-0101", "NO.SUCH", 3, d(3, 3), "A1:5", ""),
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
		if got, want := len(storetest.Responses(t, s)), 3; got != want {
			t.Errorf("stored %d responses, want %d", got, want)
		}
	})

	t.Run("imported responses have no receipt", func(t *testing.T) {
		for _, r := range storetest.Responses(t, s) {
			if r.HasReceipt {
				t.Errorf("imported response %s is linked to a receipt", r.ResponseID)
			}
		}
	})
}

func TestAggregates(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	list := []dataset.Aggregate{
		{Year: 2023, Index: "overall", Basis: "unweighted", Percent: 83.02, N: 1500},
		{Year: 2023, Index: "A", Basis: "stratified", Percent: 80.5, N: 1490},
	}
	res, err := s.ImportAggregates(ctx, "sipas", list)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (store.ImportResult{Created: 2}); got != want {
		t.Errorf("ImportAggregates = %+v, want %+v", got, want)
	}
	list[0].Percent = 83.1
	res, err = s.ImportAggregates(ctx, "sipas", list)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (store.ImportResult{Updated: 1, Unchanged: 1}); got != want {
		t.Errorf("ImportAggregates again = %+v, want %+v", got, want)
	}
	got, err := s.ListAggregates(ctx, "sipas")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.AggregateRow{{Year: 2023, Index: "A", Basis: "stratified", Percent: 80.5, N: 1490}, {Year: 2023, Index: "overall", Basis: "unweighted", Percent: 83.1, N: 1500}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListAggregates (-want +got):\n%s", diff)
	}
	if got, err := s.ListAggregates(ctx, "sipas-quick"); err != nil || len(got) != 0 {
		t.Errorf("ListAggregates(sipas-quick) = %v, %v; want none", got, err)
	}
}

// wantOneStored checks the outcomes of concurrent submissions on one receipt: exactly one
// stored, every other refused with receipt.ErrAlreadyUsed.
func wantOneStored(t *testing.T, errs []error) {
	t.Helper()
	var ok, used int
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, receipt.ErrAlreadyUsed):
			used++
		default:
			t.Errorf("submission %d: err = %v, want nil or ErrAlreadyUsed", i, err)
		}
	}
	if ok != 1 || used != len(errs)-1 {
		t.Errorf("%d submissions: %d stored and %d ErrAlreadyUsed, want 1 and %d", len(errs), ok, used, len(errs)-1)
	}
}
