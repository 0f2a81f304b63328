// Package openapitest holds the OpenAPI 3.1 document of /api/v1 (assets/openapi.json) to
// tests: it validates the document, every API response the web tests receive, and webhook
// payloads against it, with pb33f/libopenapi and libopenapi-validator (maintained, and built
// for OpenAPI 3.1's JSON Schema 2020-12 dialect). Only tests import it.
package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"sipas/assets"
)

// Contract is the parsed document with its validators. It is safe for concurrent use.
type Contract struct {
	raw     []byte
	model   *v3.Document
	val     validator.Validator
	schemas schema_validation.SchemaValidator
	mu      sync.Mutex // the validators' caches are shared between concurrent requests
}

var (
	loadOnce sync.Once
	loaded   *Contract
	loadErr  error
)

// Load returns the contract of assets/openapi.json, parsed once per test binary.
func Load(tb testing.TB) *Contract {
	tb.Helper()
	loadOnce.Do(func() { loaded, loadErr = parse() })
	if loadErr != nil {
		tb.Fatalf("openapi: %v", loadErr)
	}
	return loaded
}

func parse() (*Contract, error) {
	raw, err := fs.ReadFile(assets.FS, "openapi.json")
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build model: %w", err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("validator: %v", errs)
	}
	return &Contract{raw: raw, model: &m.Model, val: v, schemas: schema_validation.NewSchemaValidator(config.WithFormatAssertions())}, nil
}

// Raw is the document's bytes, as served.
func (c *Contract) Raw() []byte { return c.raw }

// Model is the parsed document.
func (c *Contract) Model() *v3.Document { return c.model }

// ValidateDocument checks the document against the OpenAPI 3.1 specification's schema.
func (c *Contract) ValidateDocument() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, errs := c.val.ValidateDocument()
	return describe(errs)
}

// Operations lists the document's operations under /api/v1 as "METHOD /path/{param}".
func (c *Contract) Operations() []string {
	var out []string
	for path, item := range c.model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().KeysFromOldest() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// CheckResponse validates one answer of the server to req against the document and returns
// the problems found, none when it conforms. A path or method the document does not have
// must be answered 404 or 405 with the Error body.
func (c *Contract) CheckResponse(req *http.Request, status int, header http.Header, body []byte) []string {
	resp := &http.Response{StatusCode: status, Header: header.Clone(), Body: io.NopCloser(bytes.NewReader(body)), Request: req}
	c.mu.Lock()
	_, errs := c.val.ValidateHttpResponse(req, resp)
	c.mu.Unlock()
	if unrouted(errs) {
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return []string{fmt.Sprintf("%s %s is not in the document, yet answered %d", req.Method, req.URL.Path, status)}
		}
		return c.checkSchema("Error", body)
	}
	return describe(errs)
}

// unrouted reports whether the validator found no operation for the request.
func unrouted(errs []*liberrors.ValidationError) bool {
	for _, e := range errs {
		if e.ValidationSubType == helpers.ValidationMissingOperation ||
			(e.ValidationType == helpers.PathValidation && e.ValidationSubType == helpers.ValidationMissing) {
			return true
		}
	}
	return false
}

// checkSchema validates body against the component schema called name.
func (c *Contract) checkSchema(name string, body []byte) []string {
	sp := c.model.Components.Schemas.GetOrZero(name)
	if sp == nil {
		return []string{"no component schema " + name}
	}
	return c.validate(sp.Schema(), body)
}

func (c *Contract) validate(s *base.Schema, body []byte) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, errs := c.schemas.ValidateSchemaBytes(s, body)
	return describe(errs)
}

// CheckWebhook validates the body of a webhook of event type event (a key of the
// document's webhooks) against its request schema, and its headers against their patterns.
func (c *Contract) CheckWebhook(event string, header http.Header, body []byte) []string {
	item := c.model.Webhooks.GetOrZero(event)
	if item == nil || item.Post == nil || item.Post.RequestBody == nil {
		return []string{"the document has no webhook " + event}
	}
	mt := item.Post.RequestBody.Content.GetOrZero("application/json")
	problems := c.validate(mt.Schema.Schema(), body)
	for _, p := range item.Post.Parameters {
		if p.In != "header" {
			continue
		}
		v := header.Get(p.Name)
		if v == "" {
			problems = append(problems, "no header "+p.Name)
			continue
		}
		quoted := fmt.Appendf(nil, "%q", v)
		problems = append(problems, c.validate(p.Schema.Schema(), quoted)...)
	}
	return problems
}

func describe(errs []*liberrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		s := e.Message
		if e.Reason != "" {
			s += ": " + e.Reason
		}
		for _, se := range e.SchemaValidationErrors {
			s += fmt.Sprintf("\n\t%s: %s", se.FieldPath, se.Reason)
		}
		out = append(out, s)
	}
	return out
}
