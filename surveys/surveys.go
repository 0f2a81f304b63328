// Package surveys embeds the questionnaire definitions that ship with sipas.
// Each *.json file is one questionnaire; internal/survey loads and validates them.
package surveys

import "embed"

// FS holds the embedded questionnaire definitions.
//
//go:embed *.json
var FS embed.FS
