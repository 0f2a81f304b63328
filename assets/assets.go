// Package assets embeds the templates, static files and message catalogues of the web service.
package assets

import "embed"

// FS holds templates/, static/, i18n/, fonts/ (the PDF font, DejaVu Sans) and openapi.json
// (the OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json).
//
//go:embed templates static i18n fonts openapi.json
var FS embed.FS
