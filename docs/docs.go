// Package docs embeds the guides officials' pages link to, so that the service shows them
// offline, in the version it runs.
package docs

import "embed"

// FS holds the guides served at /admin/docs/NAME.
//
//go:embed reorganisation.md methods.md
var FS embed.FS
