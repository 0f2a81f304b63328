package main

import "flag"

// Values of `serve --checkpoints`: who checkpoints the WAL (internal/store/checkpoint.go).
const (
	checkpointsSQLite   = "sqlite"   // SQLite's automatic checkpoints at 1000 pages, and sipas's after long reads and when idle (default)
	checkpointsExternal = "external" // none by sipas: Litestream runs them
)

func checkpointsFlag(fs *flag.FlagSet) *string {
	return fs.String("checkpoints", envOr("SIPAS_CHECKPOINTS", checkpointsSQLite),
		"who checkpoints the WAL: `sqlite` (SQLite's automatic checkpoints, sipas's after exports and backups and when idle) or external (none by sipas; only while Litestream runs beside it, docs/operations.md) (env SIPAS_CHECKPOINTS)")
}

// checkCheckpoints validates the --checkpoints value.
func checkCheckpoints(v string) error {
	if v != checkpointsSQLite && v != checkpointsExternal {
		return usagef("--checkpoints must be %s or %s, not %q", checkpointsSQLite, checkpointsExternal, v)
	}
	return nil
}
