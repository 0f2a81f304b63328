package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

// `sipas backup` while submissions go on: the copy opens, passes integrity_check, and holds
// at least what was acknowledged before the backup started.
func TestBackupUnderLoad(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	db, dst := filepath.Join(dir, "live.db"), filepath.Join(dir, "copy.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ImportAgencies(ctx, []dataset.Agency{{Code: "A", Name: "A", Level: "province"}}); err != nil {
		t.Fatal(err)
	}
	const n = 800
	hashes := make([]string, n)
	list := make([]store.NewReceipt, n)
	for i := range n {
		tok, err := receipt.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		hashes[i] = tok.Hash()
		list[i] = store.NewReceipt{TokenHash: hashes[i], AgencyCode: "A", Channel: "counter", Source: "api"}
	}
	if _, err := st.CreateReceipts(ctx, list); err != nil {
		t.Fatal(err)
	}
	sub := func(i int) error {
		return st.SubmitResponse(context.Background(), hashes[i], store.Submission{SurveyID: "sipas", SurveyVersion: "1",
			Source: "web", Answers: "A1:4", Comment: fmt.Sprint("góp ý ", i)})
	}
	for i := range 200 {
		if err := sub(i); err != nil {
			t.Fatal(err)
		}
	}
	var next atomic.Int64
	next.Store(200)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := sub(i); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"backup", "--db", db, dst}, strings.NewReader(""), &out, &errOut)
	wg.Wait()
	if code != exitOK || !strings.Contains(out.String(), "integrity ok") {
		t.Fatalf("sipas backup: exit %d\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
	}
	cp, err := store.Open(ctx, dst, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	got, err := cp.CountResponses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got < 200 || got > n {
		t.Errorf("the copy holds %d responses, want 200…%d", got, n)
	}
	t.Logf("copy taken under load: %d of %d responses; %s", got, n, strings.TrimSpace(out.String()))

	if code := run(ctx, []string{"backup", "--db", filepath.Join(dir, "nope.db"), dst}, strings.NewReader(""), &out, &errOut); code != exitError {
		t.Errorf("backup of a missing database: exit %d, want 1", code)
	}
	if code := run(ctx, []string{"backup", "--db", db}, strings.NewReader(""), &out, &errOut); code != exitUsage {
		t.Errorf("backup without a file: exit %d, want 2", code)
	}
}

func TestServeOperationFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
		check   func(serveConfig) error
	}{
		{args: nil, check: func(c serveConfig) error {
			if c.AddressRefusals != 120 || c.KioskRefusals != 20 || c.UploadLimit != 64 || c.SubmitRateSet || c.RetentionMonths != 0 || len(c.TrustedProxies) != 0 {
				return fmt.Errorf("defaults: %+v", c)
			}
			return nil
		}},
		{args: []string{"--submit-rate", "0", "--refusal-limit", "500", "--upload-limit", "200", "--retention-months", "24", "--trusted-proxies", "127.0.0.1, 10.0.0.0/8,::1"}, check: func(c serveConfig) error {
			var got []string
			for _, n := range c.TrustedProxies {
				got = append(got, n.String())
			}
			if !c.SubmitRateSet || c.AddressRefusals != 500 || c.UploadLimit != 200 || c.RetentionMonths != 24 || strings.Join(got, " ") != "127.0.0.1/32 10.0.0.0/8 ::1/128" {
				return fmt.Errorf("parsed %+v (%v)", c, got)
			}
			return nil
		}},
		{args: []string{"--refusal-limit", "0"}, wantErr: "--refusal-limit"},
		{args: []string{"--kiosk-refusal-limit", "-1"}, wantErr: "--kiosk-refusal-limit"},
		{args: []string{"--upload-limit", "0"}, wantErr: "--upload-limit"},
		{args: []string{"--retention-months", "-3"}, wantErr: "--retention-months"},
		{args: []string{"--trusted-proxies", "10.0.0.0/33"}, wantErr: "--trusted-proxies"},
		{args: []string{"--trusted-proxies", "proxy.local"}, wantErr: "--trusted-proxies"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			for _, k := range []string{"SIPAS_SUBMIT_RATE", "SIPAS_REFUSAL_LIMIT", "SIPAS_KIOSK_REFUSAL_LIMIT", "SIPAS_UPLOAD_LIMIT", "SIPAS_TRUSTED_PROXIES", "SIPAS_RETENTION_MONTHS"} {
				t.Setenv(k, "")
			}
			fs := newFlags(env{stderr: &bytes.Buffer{}}, "serve", "serve")
			db := "x.db"
			f := addServeFlags(fs, &db)
			if err := parseFlags(fs, tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := f.config()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("config() = %v, want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.check(c); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestLoadtestRefusesRemoteTargets(t *testing.T) {
	for target, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://localhost:8080": true, "http://[::1]:8080": true, "http://127.8.9.1": true,
		"http://10.0.0.1:8080": false, "https://sipas.example.gov.vn": false, "ftp://127.0.0.1": false, "127.0.0.1:8080": false,
	} {
		if err := checkLoopback(target, false); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", target, err, ok)
		}
	}
	if err := checkLoopback("https://sipas.example.gov.vn", true); err != nil {
		t.Errorf("--allow-remote: %v", err)
	}
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"loadtest", "--target", "http://192.0.2.1", "--key", "k", "--agency", "A"}, strings.NewReader(""), &out, &errOut)
	if code != exitUsage || !strings.Contains(errOut.String(), "--allow-remote") {
		t.Errorf("remote target: exit %d, stderr %q; want 2 naming --allow-remote", code, errOut.String())
	}
}
