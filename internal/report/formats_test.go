package report

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// apiDoc is the documentation of the API, whose format table comes from Formats.
const apiDoc = "../../docs/api.md"

// formatTable is the table of Formats as docs/api.md writes it.
func formatTable() string {
	var b strings.Builder
	b.WriteString("| `format=` | content type | file extension |\n|---|---|---|\n")
	for _, f := range Formats {
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` |\n", f.Name, f.ContentType, f.Ext)
	}
	return b.String()
}

// TestFormatsDocumented checks that docs/api.md lists report.Formats, or rewrites the table
// with -update.
func TestFormatsDocumented(t *testing.T) {
	doc, err := os.ReadFile(apiDoc)
	if err != nil {
		t.Fatal(err)
	}
	start := []byte("<!-- formats:")
	end := []byte("<!-- end formats -->")
	i, j := bytes.Index(doc, start), bytes.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no formats table between %q and %q", apiDoc, start, end)
	}
	i += bytes.IndexByte(doc[i:], '\n') + 1
	if got, want := string(doc[i:j]), formatTable(); got != want {
		if *update {
			out := append(append(append([]byte{}, doc[:i]...), want...), doc[j:]...)
			if err := os.WriteFile(apiDoc, out, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("docs/api.md's format table differs from report.Formats (go test -run TestFormatsDocumented -update):\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// TestFormats: every format writes, and names and extensions are unique.
func TestFormats(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Formats {
		if seen[f.Name] || seen[f.Ext] || f.ContentType == "" || !strings.HasPrefix(f.Ext, ".") {
			t.Errorf("format %+v: name or extension repeated, or a field missing", f)
		}
		seen[f.Name], seen[f.Ext] = true, true
		m := testMeta(t)
		m.Fonts = fonts
		var buf bytes.Buffer
		if err := f.Write(&buf, mustReport(t), m); err != nil || buf.Len() == 0 {
			t.Errorf("%s: %d bytes, %v", f.Name, buf.Len(), err)
		}
		if g, ok := FormatByName(f.Name); !ok || g.Name != f.Name {
			t.Errorf("FormatByName(%s) = %+v, %v", f.Name, g, ok)
		}
	}
	if _, ok := FormatByName("doc"); ok {
		t.Error("FormatByName accepts doc")
	}
}
