package web

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Real data files through the data page, over a real connection, generated as they are sent
// (chunked, no Content-Length): a 20 MB responses CSV is imported whole, streamed from the
// connection to the parser with nothing spilled to temporary files; a file over the upload
// limit is refused with 413 naming the limit; and a request that fails the CSRF check is
// answered having read no more than the start of the form.
func TestDataUploadStreamsLargeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 20 MB and 65 MB")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where multipart parsing would spill a large file
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	var read atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		read.Store(0)
		r.Body = countingBody{r.Body, &read}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	codes := e.q.Codes()

	// 20 MB of responses: about 120,000 rows with a comment each.
	res, sent := postResponsesCSV(t, hs.URL, e.cookies(admin), admin.csrf, codes, 20<<20)
	body := readAll(t, res)
	rows := sent()
	if res.StatusCode != http.StatusOK || !strings.Contains(body, fmt.Sprintf("%d created, 0 updated, 0 unchanged", rows)) {
		t.Fatalf("20 MB upload: %d, want 200 and %d created\n%.1500s", res.StatusCode, rows, body)
	}
	t.Logf("20 MB responses CSV: %d rows, %d bytes read by the server", rows, read.Load())
	if n := imported(t, e); n != rows {
		t.Errorf("%d imported responses stored, want %d", n, rows)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the upload left %d temporary files: it was not streamed", len(left))
	}

	// Over the limit (64 MiB): 413 naming it, nothing stored.
	res, _ = postResponsesCSV(t, hs.URL, e.cookies(admin), admin.csrf, codes, 65<<20)
	if body := readAll(t, res); res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "64 MiB") {
		t.Errorf("65 MiB upload: %d, want 413 naming 64 MiB\n%.800s", res.StatusCode, body)
	}
	if n := imported(t, e); n != rows {
		t.Errorf("after the refused file %d imported responses, want %d", n, rows)
	}

	// A forged request (wrong CSRF token) is refused before the file is read.
	res, _ = postResponsesCSV(t, hs.URL, e.cookies(admin), "forged-token", codes, 20<<20)
	readAll(t, res)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("wrong CSRF token: %d, want 403", res.StatusCode)
	}
	if n := read.Load(); n > 1<<20 {
		t.Errorf("the server read %d bytes of a request that failed the CSRF check, want under 1 MiB", n)
	}
}

// postResponsesCSV posts a responses.csv of at least size bytes, written as it is sent, with
// the browser's cookies and csrf as the form's token. It returns the response and a function
// that waits for the writer to finish and says how many rows it wrote.
func postResponsesCSV(t *testing.T, base, cookies, csrf string, codes []string, size int) (*http.Response, func() int) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	written := make(chan int, 1)
	header := "response_id,agency_code,channel,submitted_at," + strings.Join(codes, ",") + ",comment\n"
	answers := strings.TrimSuffix(strings.Repeat("4,", len(codes)), ",")
	go func() {
		rows := 0
		defer func() { written <- rows }()
		w := &countingWriter{}
		err := mw.WriteField("_csrf", csrf)
		var fw io.Writer
		if err == nil {
			fw, err = mw.CreateFormFile("file", "responses.csv")
		}
		if err == nil {
			fw = io.MultiWriter(fw, w)
			_, err = io.WriteString(fw, header)
		}
		for err == nil && w.n < size {
			rows++
			_, err = fmt.Fprintf(fw, "GIAY-%07d,%s,counter,2025-%02d-%02d,%s,\"Phiếu giấy số %d: cán bộ hướng dẫn tận tình, thủ tục nhanh, nơi chờ thoáng mát\"\n",
				rows, ownAgency, rows%12+1, rows%28+1, answers, rows)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/admin/responses/upload", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Cookie", cookies)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res, sync.OnceValue(func() int { return <-written })
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// imported counts the responses stored by imports.
func imported(t *testing.T, e *adminEnv) int {
	t.Helper()
	n := 0
	for _, r := range e.responses(t) {
		if strings.HasPrefix(r.ResponseID, "GIAY-") {
			n++
		}
	}
	return n
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// countingWriter counts what is written through it.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}
