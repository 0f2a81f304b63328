package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"sipas/assets"
	"sipas/internal/fault"
	"sipas/internal/i18n"
	"sipas/internal/store"
	"sipas/internal/survey"
	"sipas/surveys"
)

// Exit codes of CONTRACT.md.
const (
	exitOK    = 0
	exitError = 1 // runtime or data error
	exitUsage = 2
)

// env carries the process's standard streams to a subcommand, and the catalogues of
// assets/i18n for its messages.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	msgs           *i18n.Catalog
}

// cliLang is the language of the CLI's own messages (operators read English).
const cliLang = "en"

// message is what an error says to the operator: a fault's catalogue text, else its text.
func (e env) message(err error) string {
	if msg := fault.Text(err, func(key string, args ...any) string { return e.msgs.T(cliLang, key, args...) }); msg != "" {
		return msg
	}
	return err.Error()
}

type command struct {
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":     {"run the web service", cmdServe},
		"demo":      {"serve a fresh demo database with sample agencies, receipts and two years of responses", cmdDemo},
		"import":    {"import agencies, populations, responses or aggregates from CSV", cmdImport},
		"report":    {"compute the indices and write JSON, CSV, XLSX or PDF", cmdReport},
		"apikey":    {"create, list or revoke API keys for machine clients", cmdAPIKey},
		"user":      {"add an official or change a password (read from stdin)", cmdUser},
		"migrate":   {"apply pending database migrations and list them", cmdMigrate},
		"backup":    {"write a consistent copy of the live database", cmdBackup},
		"loadtest":  {"measure durable submissions per second against a running sipas (loopback only)", cmdLoadtest},
		"token":     {"manage offline token-signing secrets, or mint signed tokens (reference)", cmdToken},
		"summaries": {"export this database's summaries (no responses), or import another's into a national database", cmdSummaries},
		"verify":    {"check the summaries the reports read against the stored responses (--repair fixes them)", cmdVerify},
		"webhook":   {"register or list webhook endpoints (or at /admin/webhooks)", cmdWebhook},
		"version":   {"print the version", cmdVersion},
	}
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// run is main without os.Exit, so tests can drive every subcommand in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	msgs, err := i18n.Load(assets.FS)
	if err != nil {
		fmt.Fprintln(stderr, "sipas:", err)
		return exitError
	}
	e := env{stdin, stdout, stderr, msgs}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	args = hoistGlobalDB(args)
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sipas: unknown command %q\n", args[0])
		printUsage(stderr)
		return exitUsage
	}
	err = cmd.run(ctx, e, args[1:])
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "sipas %s: %s\n", args[0], ue.msg)
		return exitUsage
	case fault.KindOf(err) != fault.Internal:
		fmt.Fprintf(stderr, "sipas %s: %s\n", args[0], e.message(err))
		return exitError
	default:
		// One line per problem: data errors (dataset.Errors) already print that way.
		for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
			fmt.Fprintln(stderr, line)
		}
		return exitError
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: sipas <command> [flags]\n\ncommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'sipas <command> -h' for the flags of a command. Every command takes --db (env SIPAS_DB, default sipas.db).")
}

// envOr is the default of a flag: the environment variable, else the built-in value.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// newFlags makes a subcommand's flag set; errors and -h output go to stderr.
func newFlags(e env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: sipas %s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments too
// (`sipas import agencies FILE.csv --db x.db`); the positional ones are left in fs.Args().
// A bad flag is a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			pos = append(pos, rest[1:]...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", envOr("SIPAS_DB", "sipas.db"), "SQLite database `file` (env SIPAS_DB); commands that write create it on first use, serve only with --init")
}

func surveysFlag(fs *flag.FlagSet) *string {
	return fs.String("surveys", envOr("SIPAS_SURVEYS", ""), "read questionnaire definitions from this `folder` instead of the embedded ones (env SIPAS_SURVEYS)")
}

// loadSurveys loads the questionnaires from dir, or the embedded ones.
func loadSurveys(dir string) (survey.Catalog, error) {
	var fsys fs.FS = surveys.FS
	if dir != "" {
		fsys = os.DirFS(dir)
	}
	return survey.Load(fsys)
}

// withUploads replaces definitions by the newest versions admins uploaded to this database.
func withUploads(ctx context.Context, st *store.Store, cat survey.Catalog) (survey.Catalog, error) {
	ups, err := st.LatestSurveyDefinitions(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range ups {
		cat[q.ID] = q
	}
	return cat, nil
}

// openWithSurvey opens the database as access allows and the questionnaire id from the embedded (or --surveys)
// definitions with this database's uploaded versions over them.
func openWithSurvey(ctx context.Context, db string, access store.Access, dir, id string) (*store.Store, *survey.Questionnaire, error) {
	st, cat, err := openCatalog(ctx, db, access, dir)
	if err != nil {
		return nil, nil, err
	}
	q, err := cat.Get(id)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, q, nil
}

// openCatalog opens the database as access allows, and the questionnaires in use: the embedded (or --surveys)
// definitions with this database's uploaded versions over them.
func openCatalog(ctx context.Context, db string, access store.Access, dir string) (*store.Store, survey.Catalog, error) {
	cat, err := loadSurveys(dir)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, db, access)
	if err != nil {
		return nil, nil, err
	}
	if cat, err = withUploads(ctx, st, cat); err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, cat, nil
}

// openStore opens the database of a one-shot command. Commands that only read pass
// store.ReadOnly and never create, write or migrate; the others (store.ReadWrite) create a new
// database in a missing or empty file, as CONTRACT.md says. None migrates: that is `sipas
// migrate` (or serve --migrate).
func openStore(ctx context.Context, path string, access store.Access) (*store.Store, error) {
	st, err := store.Open(ctx, path, store.Options{Access: access})
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, fmt.Errorf("%s: no database there (the file is missing or empty); check --db", path)
	}
	return st, err
}

// newLogger builds the one logger: text for people, JSON for log collectors.
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usagef("--log-format must be text or json, not %q", format)
}

func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

func cmdVersion(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "sipas", version())
	return nil
}

const migrateUsage = `migrate [--db FILE]

Applies the migrations this sipas carries and the database lacks, each in its own transaction,
after writing a backup beside the database (FILE.before-MIGRATION-TIME.db), then lists every
applied migration. A missing or empty FILE gets a new database. No other command migrates:
after an upgrade, run this (or start the service with serve --migrate).`

func cmdMigrate(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "migrate", migrateUsage)
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *db, store.Migrate)
	if err != nil {
		return err
	}
	defer st.Close()
	if b := st.MigrationBackup(); b != "" {
		fmt.Fprintln(e.stdout, "backed up to", b)
	}
	names, err := st.Migrations(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintln(e.stdout, "applied", n)
	}
	return nil
}

// hoistGlobalDB lets --db come before the subcommand (`sipas --db x.db report …`) by moving it
// after the subcommand's name.
func hoistGlobalDB(args []string) []string {
	if len(args) >= 3 && (args[0] == "--db" || args[0] == "-db") {
		return append([]string{args[2], "--db", args[1]}, args[3:]...)
	}
	if len(args) >= 2 && (strings.HasPrefix(args[0], "--db=") || strings.HasPrefix(args[0], "-db=")) {
		return append([]string{args[1], args[0]}, args[2:]...)
	}
	return args
}
