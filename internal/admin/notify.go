package admin

import (
	"context"
	"log/slog"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/mail"
)

// LockoutNotifier returns the auth.Config.OnLockout hook: it emails a user
// that a run of failed sign-in attempts, the last of which got factor
// wrong, locked its account. A failure is logged; the lock stands either
// way.
func LockoutNotifier(dir OrgCases, mailer *mail.Mailer, logger *slog.Logger) func(context.Context, *directory.User, directory.LoginFactor) {
	return func(ctx context.Context, u *directory.User, factor directory.LoginFactor) {
		org, err := dir.GetOrg(ctx, u.OrgID)
		if err != nil {
			logger.ErrorContext(ctx, "lockout notice not sent", "user", u.ID, "error", err)
			return
		}
		msg, err := mailer.Compose.Lockout(org, u, factor)
		if err == nil {
			err = mailer.Send(ctx, msg)
		}
		if err != nil {
			logger.WarnContext(ctx, "lockout notice not sent", "user", u.ID, "error", err)
		}
	}
}
