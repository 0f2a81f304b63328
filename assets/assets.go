// Package assets embeds the templates, static files and message catalogues of the web service.
package assets

import "embed"

// FS holds templates/, static/, i18n/ and fonts/ (the PDF font, DejaVu Sans).
//
//go:embed templates static i18n fonts
var FS embed.FS
