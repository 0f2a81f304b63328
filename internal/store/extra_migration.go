//go:build sipas_extra_migration

package store

// A binary built with -tags sipas_extra_migration carries one migration more than the
// repository: it is a "newer sipas" for the tests that check what an older database meets
// (cmd/sipas: a backup by a newer binary leaves the live schema unchanged). Never build a
// release with this tag.
func init() {
	extraMigrations["9000_test_extra.sql"] = `CREATE TABLE test_extra (id INTEGER PRIMARY KEY);`
}
