package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache holds statements prepared once on one pool. Parsing the same few statements for
// every submission cost about a sixth of the CPU of the write path.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	m     map[string]*sql.Stmt
	fixed bool // only what prepare put in
}

var errNotPrepared = errors.New("store: statement not prepared")

// prepare fills the cache with queries and fixes it. A statement that fails to prepare is left
// out: it will run by its text and report its error there.
func (c *stmtCache) prepare(ctx context.Context, queries ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	for _, q := range queries {
		if st, err := c.db.PrepareContext(ctx, q); err == nil {
			c.m[q] = st
		}
	}
	c.fixed = true
}

// get returns the prepared statement of query, preparing it first unless the cache is
// fixed. The writer's cache is fixed: it is filled by prepare while the one writer connection
// is free, since preparing on the pool from inside a transaction would wait for the
// connection that transaction holds.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	if c.fixed {
		return nil, errNotPrepared
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.m {
		errs = append(errs, st.Close())
	}
	c.m = nil
	return errors.Join(errs...)
}

// txStmts runs statements in tx: with a cache, through statements prepared once on the writer
// and bound to tx once per transaction; without, by their text.
type txStmts struct {
	tx    *sql.Tx
	cache *stmtCache
	bound map[string]*sql.Stmt
}

func (t txStmts) stmt(ctx context.Context, query string) *sql.Stmt {
	if t.cache == nil {
		return nil
	}
	if st, ok := t.bound[query]; ok {
		return st
	}
	st, err := t.cache.get(ctx, query)
	if err != nil {
		return nil // the statement's text is run instead, and reports the error
	}
	st = t.tx.StmtContext(ctx, st)
	t.bound[query] = st
	return st
}

func (t txStmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t txStmts) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// QueryRowContext is queryRow, so that txStmts is a queryer.
func (t txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.queryRow(ctx, query, args...)
}
