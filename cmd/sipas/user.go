package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"sipas/internal/auth"
	"sipas/internal/store"
)

const userUsage = `user add --email E --role admin|analyst|agency [--agency CODE] [--name NAME]
       user passwd --email E
       user totp-reset --email E   (removes a lost second factor; the official's sessions end)
       (add and passwd read the password from the first line of stdin)`

func cmdUser(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "user", userUsage)
	db := dbFlag(fs)
	email := fs.String("email", "", "the official's email (their sign-in name)")
	role := fs.String("role", "", "admin, analyst or agency")
	agency := fs.String("agency", "", "agency `code` (role agency only)")
	name := fs.String("name", "", "display name")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "add" && fs.Arg(0) != "passwd" && fs.Arg(0) != "totp-reset") {
		fs.Usage()
		return usagef("name an action: add, passwd or totp-reset")
	}
	if !strings.Contains(*email, "@") {
		return usagef("--email is required")
	}
	if fs.Arg(0) == "totp-reset" {
		return userTOTPReset(ctx, e, *db, *email)
	}
	pw, err := readPassword(e)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, *db, store.ReadWrite)
	if err != nil {
		return err
	}
	defer st.Close()
	hash := auth.HashPassword(pw, auth.DefaultArgon2)
	if fs.Arg(0) == "passwd" {
		o, _, err := st.FindOfficialForLogin(ctx, *email)
		if err != nil {
			return fmt.Errorf("user passwd %s: %w", *email, err)
		}
		if err := st.UpdateOfficial(ctx, o.ID, store.OfficialUpdate{PasswordHash: &hash}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "changed the password of %s\n", o.Email)
		return st.Audit(ctx, "cli", "user.passwd", o.Email)
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return usageError{err.Error()}
	}
	if (r == auth.RoleAgency) != (*agency != "") {
		return usagef("--agency is required for role agency, and only for it")
	}
	o, err := st.CreateOfficial(ctx, store.NewOfficial{Email: *email, Name: *name, Role: r, AgencyCode: *agency, PasswordHash: hash})
	if err != nil {
		return fmt.Errorf("user add %s: %w", *email, err)
	}
	fmt.Fprintf(e.stdout, "created %s %s (id %d)\n", o.Role, o.Email, o.ID)
	return st.Audit(ctx, "cli", "user.create", o.Email+" "+string(o.Role))
}

// readPassword reads the first line of stdin: passwords never go in flags, which show in ps.
func readPassword(e env) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usagef("type the password on standard input, e.g. printf '%%s\\n' \"$PW\" | sipas user add …")
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := auth.CheckPasswordStrength(pw); err != nil {
		return "", usageError{err.Error()}
	}
	return pw, nil
}

// userTOTPReset removes an official's second factor and ends their sessions: the operator's
// recovery when an official lost the phone and no other admin can do it on /admin/users.
func userTOTPReset(ctx context.Context, e env, db, email string) error {
	st, err := openStore(ctx, db, store.ReadWrite)
	if err != nil {
		return err
	}
	defer st.Close()
	o, _, err := st.FindOfficialForLogin(ctx, email)
	if err != nil {
		return fmt.Errorf("user totp-reset %s: %w", email, err)
	}
	if err := st.DisableTOTP(ctx, o.ID); err != nil {
		return err
	}
	if err := st.UpdateOfficial(ctx, o.ID, store.OfficialUpdate{}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "removed the second factor of %s; their sessions ended\n", o.Email)
	return st.Audit(ctx, "cli", "user.totp_reset", o.Email)
}
