package web

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"sipas/internal/fault"
)

// Request bodies come in three sizes. Data uploads (the CSV files of the data pages) may be
// up to Config.UploadLimit and are streamed: the file goes from the connection to the CSV
// parser without being held in memory or written to a temporary file. The citizens' and
// kiosks' forms read their own bodies within Config.BodyLimit (readForm), so that an
// oversized one can still be shown again with what fitted. Everything else is refused over
// Config.BodyLimit by Echo's BodyLimit.

// formRoutes are the POST routes whose handlers read their form with readForm.
var formRoutes = map[string]bool{"/s/:token": true, "/kiosk/start": true, "/kiosk/submit": true, "/kiosk/enrol": true}

// isUpload reports whether the route takes a data file: every officials' …/upload route.
func isUpload(c echo.Context) bool {
	p := c.Path()
	return c.Request().Method == http.MethodPost && strings.HasPrefix(p, "/admin/") && strings.HasSuffix(p, "/upload")
}

// bodyLimit is the middleware that gives each route its body limit, and readies an upload's
// stream (streamUpload) before the CSRF check reads the form's token.
func (s *Server) bodyLimit() echo.MiddlewareFunc {
	small := middleware.BodyLimit(byteSize(s.cfg.BodyLimit))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		limitSmall, stream := small(next), streamUpload(next)
		return func(c echo.Context) error {
			switch {
			case isUpload(c):
				req := c.Request()
				if req.ContentLength > s.cfg.UploadLimit {
					return errUploadTooLarge(s.cfg.UploadLimit, nil)
				}
				req.Body = http.MaxBytesReader(c.Response(), req.Body, s.cfg.UploadLimit)
				return stream(c)
			case c.Request().Method == http.MethodPost && formRoutes[c.Path()]:
				return next(c)
			}
			return limitSmall(c)
		}
	}
}

const (
	ctxUpload = "sipas.upload"
	// maxLeadingFields and maxFieldBytes bound what an upload form may send before its file:
	// the CSRF token and a few small fields.
	maxLeadingFields = 8
	maxFieldBytes    = 4 << 10
)

// upload is the file part of a streamed multipart upload, not yet read.
type upload struct {
	part *multipart.Part
	err  error // why there is no file part
}

// errUploadForm is a multipart body that is not the upload form: a field too large, too many
// fields, or no file.
func errUploadForm(cause error) *fault.Error {
	return errBadRequest("bad_upload").Say("data.need_file").Because(cause)
}

// streamUpload reads the small fields an upload form sends before its file (the CSRF token
// first among them: a browser sends fields in document order) into the request's form, where
// the CSRF check and the handler find them as usual, and leaves the file part on the
// connection for uploadedFile. Nothing is read beyond the start of the file before the
// request has passed the CSRF check, the session and the role.
func streamUpload(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
		if mt != echo.MIMEMultipartForm {
			return next(c)
		}
		mr, err := req.MultipartReader()
		if err != nil {
			return next(c)
		}
		form, up := url.Values{}, &upload{}
		for {
			part, err := mr.NextPart()
			if err != nil {
				up.err = errUploadForm(err)
				break
			}
			if part.FileName() != "" {
				up.part = part
				break
			}
			v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil || len(v) > maxFieldBytes || len(form) >= maxLeadingFields {
				up.err = errUploadForm(err)
				break
			}
			form.Add(part.FormName(), string(v))
		}
		req.Form, req.PostForm = form, form
		req.MultipartForm = &multipart.Form{Value: form}
		c.Set(ctxUpload, up)
		return next(c)
	}
}

// uploadedFile is the file of a streamed upload: its name and its content, read from the
// connection as the caller reads it. A file over the upload limit fails the caller's read
// with the TooLarge fault "upload_too_large", which names the limit.
func (s *Server) uploadedFile(c echo.Context, field string) (string, io.Reader, error) {
	up, ok := c.Get(ctxUpload).(*upload)
	switch {
	case !ok:
		return "", nil, errUploadForm(nil)
	case up.err != nil:
		return "", nil, up.err
	case up.part.FormName() != field:
		return "", nil, errUploadForm(nil)
	}
	return up.part.FileName(), tooLargeReader{up.part, s.cfg.UploadLimit}, nil
}

// tooLargeReader turns the body limit's error, met while a file is read, into a fault that
// says the limit.
type tooLargeReader struct {
	r     io.Reader
	limit int64
}

func (t tooLargeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = errUploadTooLarge(t.limit, err)
	}
	return n, err
}

// errUploadTooLarge is an upload over limit bytes: 413, with the limit in MiB.
func errUploadTooLarge(limit int64, cause error) *fault.Error {
	return fault.New(fault.TooLarge, "upload_too_large", limit>>20).Because(cause)
}
