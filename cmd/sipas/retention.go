package main

import (
	"context"
	"log/slog"
	"time"

	"sipas/internal/store"
)

// retentionInterval is how often the comment retention runs after the first run at start.
const retentionInterval = 24 * time.Hour

// retainComments blanks the free-text comments older than months months, keeping the answers,
// once now and then daily until ctx ends. Each run that blanks something leaves an audit line
// (actor "system"); failures are logged here, at the edge, and retried at the next run.
func retainComments(ctx context.Context, st *store.Store, months int, log *slog.Logger) {
	t := time.NewTicker(retentionInterval)
	defer t.Stop()
	for {
		cutoff := store.RetentionCutoff(time.Now(), months)
		n, err := st.ExpireComments(ctx, cutoff, "system")
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("comment retention", "err", err, "months", months)
		case n > 0:
			log.Info("comment retention: blanked comments", "count", n, "submitted_before", cutoff.UTC().Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
