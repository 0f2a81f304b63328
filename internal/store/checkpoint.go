package store

import "net/url"

// Checkpoints say who copies committed pages from the -wal file back into the database file.
//
// By default SQLite does it: after a commit that leaves 1000 or more pages in the WAL, the
// committing connection runs a PASSIVE checkpoint. That is right when sipas is alone with its
// database. Litestream (docs/operations.md) replicates by reading the WAL and wants to run
// every checkpoint itself, after it has copied the frames: it holds a read transaction so that
// nobody can restart the WAL under it, and releases it only to checkpoint. A checkpoint by the
// application in that gap lets the next write restart the WAL before Litestream has read it;
// Litestream notices and uploads a full snapshot instead of the increment. With
// Options.ExternalCheckpoints the writer never checkpoints automatically
// (PRAGMA wal_autocheckpoint(0)), so the WAL grows until Litestream checkpoints it: use it only
// while Litestream (or another checkpointing process) runs beside sipas.
//
// The readers need no setting: they are query_only, and an automatic checkpoint only follows
// a write commit. sipas never runs wal_checkpoint itself.

// writerDSN is the writer's DSN for opts: dsn plus, with external checkpoints, the pragma that
// turns SQLite's automatic checkpoints off on that connection.
func writerDSN(path string, opts Options) string {
	// The statement journal of a multi-row INSERT (imports) in memory, not in a temporary
	// file: a quarter of an import's time was its writes. The writer never sorts much.
	d := dsn(path, false) + "&" + url.Values{"_pragma": {"temp_store(memory)"}}.Encode()
	if opts.ExternalCheckpoints {
		d += "&" + url.Values{"_pragma": {"wal_autocheckpoint(0)"}}.Encode()
	}
	return d
}
