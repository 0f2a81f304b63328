// Package assets embeds the templates, static files and message catalogues of the web service.
package assets

import "embed"

// FS holds templates/, static/ and i18n/.
//
//go:embed templates static i18n
var FS embed.FS
