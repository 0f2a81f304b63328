package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestServeCheckpointsFlag(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		args    []string
		want    string
		wantErr string
	}{
		{name: "default", want: checkpointsSQLite},
		{name: "flag", args: []string{"--checkpoints", "external"}, want: checkpointsExternal},
		{name: "env", env: "external", want: checkpointsExternal},
		{name: "flag over env", env: "external", args: []string{"--checkpoints", "sqlite"}, want: checkpointsSQLite},
		{name: "unknown", args: []string{"--checkpoints", "litestream"}, wantErr: "--checkpoints must be sqlite or external"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SIPAS_CHECKPOINTS", tt.env)
			fs := newFlags(env{stderr: &bytes.Buffer{}}, "serve", "serve")
			db := "x.db"
			f := addServeFlags(fs, &db)
			if err := parseFlags(fs, tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := f.config()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("config() = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Checkpoints != tt.want {
				t.Errorf("Checkpoints = %q, want %q", c.Checkpoints, tt.want)
			}
			if !strings.Contains(c.String(), "checkpoints="+tt.want) {
				t.Errorf("printed config %q does not show checkpoints=%s", c, tt.want)
			}
		})
	}
}
