package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/cluster"
	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/console"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/importer"
	"github.com/roster/roster/internal/jobs"
	"github.com/roster/roster/internal/mail"
	"github.com/roster/roster/internal/ratelimit"
	"github.com/roster/roster/internal/server"
	"github.com/roster/roster/internal/sms"
	"github.com/roster/roster/scim"
	"github.com/roster/roster/sync/engine"
)

// serve runs Roster until ctx ends (SIGINT or SIGTERM in main): it migrates
// the database, resolves the encryption key, sets up a first organization on
// an empty one, and runs the long-lived components (the HTTP server, the
// directory sync runner and the job scheduler) in one errgroup, so that the failure of one
// stops them all.
func (a *app) serve(ctx context.Context, args []string) (err error) {
	fs := a.newFlagSet("serve", "serve [--config FILE]").withConfig(a)
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg, err := a.loadConfig(*fs.config)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.Log, a.stderr)
	backend, target, err := config.ParseDatabaseURL(cfg.Database.URL.Reveal())
	if err != nil {
		return err
	}
	if err := checkKeyConfigured(cfg, backend); err != nil {
		return err
	}

	// Bind first: a taken port fails before the database is touched, and
	// the derived public URL needs the bound port.
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	defer func() { _ = ln.Close() }() // already closed after a normal shutdown
	baseURL := cfg.HTTP.BaseURL(ln.Addr().String())

	st, _, err := openStore(ctx, cfg.Database.URL.Reveal(), a.now, readReplica(cfg.Database, logger)...)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close database: %w", cerr)
		}
	}()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate %s database: %w", backend, err)
	}
	logger.Info("database ready", "backend", string(backend), "read_replica", cfg.Database.ReadURL != "")

	svc := directory.NewService(st, a.now)
	// Replicas on one database split the rate limits by their number.
	replicas := cluster.New(st.Jobs(), 0, a.now, logger)
	// The key comes before the first organization: a new database gets
	// its key file before anything can be sealed.
	key, err := resolveKey(ctx, cfg, backend, target, svc.CountOrgs)
	if err != nil {
		return err
	}
	logKey(logger, key)
	// The API (and its mail driver) is built before the first start
	// prints credentials, so that a mail setting that cannot work stops
	// the process before it sets anything up.
	client, policy, err := newOutbound(cfg.Outbound)
	if err != nil {
		return err
	}
	runner, err := newSyncRunner(svc, key, client, policy, logger)
	if err != nil {
		return err
	}
	mailer, err := a.newMailer(cfg, logger, baseURL)
	if err != nil {
		return err
	}
	web, err := a.newWebHandlers(cfg, svc, key, mailer, runner, client, replicas.Live, logger, baseURL)
	if err != nil {
		return err
	}
	sched := a.newScheduler(st, logger)
	inactivity, err := newInactivity(cfg, svc, mailer, logger)
	if err != nil {
		return err
	}
	if err := inactivity.Register(sched, cfg.Jobs.Inactivity.Schedule); err != nil {
		return fmt.Errorf("jobs.inactivity.schedule: %w", err)
	}
	if err := jobs.NewUsage(svc, logger).Register(sched, cfg.Jobs.Usage.Schedule); err != nil {
		return fmt.Errorf("jobs.usage.schedule: %w", err)
	}
	connectorSchedules := &syncSchedules{sched: sched, runner: runner, every: cfg.Jobs.SyncRefresh, logger: logger, specs: map[string]string{}}
	if cfg.Bootstrap.Enabled {
		b := bootstrapper{svc: svc, cfg: cfg.Bootstrap, baseURL: baseURL, params: a.passwordParams, out: a.stdout, logger: logger}
		if err := b.run(ctx); err != nil {
			return fmt.Errorf("first start: %w", err)
		}
	}

	srv, err := a.newHTTPServer(cfg, ln, st, svc, web, replicas, runner, logger, baseURL)
	if err != nil {
		return err
	}

	logger.Info("roster starting", "version", versionString(), "addr", ln.Addr().String(), "public_url", baseURL,
		"console_url", baseURL+"/", "mail_driver", cfg.Mail.Driver)
	// Standard output stays for secrets shown once; the log says where to
	// open the console at every start.
	logger.Info("web console at "+baseURL+"/", "console_url", baseURL+"/")
	if a.onListen != nil {
		a.onListen(ln.Addr().String())
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	// The runner serves the connector runs the API starts (run now, dry
	// run, approve).
	g.Go(func() error { return runner.Run(gctx) })
	// The scheduler runs the inactivity job and the connectors' scheduled
	// syncs; with replicas on PostgreSQL, one replica runs each tick.
	g.Go(func() error { return sched.Run(gctx) })
	g.Go(func() error { return connectorSchedules.Run(gctx) })
	g.Go(func() error { return replicas.Run(gctx) })
	if err := g.Wait(); err != nil {
		return err
	}
	logger.Info("roster stopped")
	return nil
}

// logKey tells the operator where the encryption key came from, never the
// key itself.
func logKey(logger *slog.Logger, k *encryptionKey) {
	file := k.file
	if abs, err := filepath.Abs(file); err == nil && file != "" {
		file = abs
	}
	switch {
	case k.ephemeral:
		logger.Warn("the database is in memory: a random encryption key lives as long as the process")
	case k.generated:
		logger.Info("generated an encryption key for the new database; back the file up with the database: "+
			"what is sealed under the key cannot be opened without it", "key_file", file)
	case file != "":
		logger.Info("encryption key read from its file", "key_file", file)
	default:
		logger.Info("encryption key from security.encryption_key")
	}
	if k.looseMode != 0 {
		logger.Warn("other users may read the encryption key file; restrict it with chmod 600",
			"key_file", file, "mode", k.looseMode.String())
	}
}

// newMailer builds the mailer every email goes through (invitations,
// password links, lockout notices, inactivity warnings) on the configured
// driver, with links under baseURL.
func (a *app) newMailer(cfg *config.Config, logger *slog.Logger, baseURL string) (*mail.Mailer, error) {
	m := cfg.Mail
	notifier, err := mail.New(mail.Config{
		Driver:    mail.Driver(m.Driver),
		From:      m.From,
		OutboxDir: m.OutboxDir,
		SMTP: mail.SMTPConfig{
			Host:     m.SMTP.Host,
			Port:     m.SMTP.Port,
			Security: mail.Security(m.SMTP.Security),
			Username: m.SMTP.Username,
			Password: m.SMTP.Password.Reveal(),
			Timeout:  m.SMTP.Timeout,
		},
	}, logger, a.now)
	if err != nil {
		return nil, err
	}
	if m.Driver == config.MailLog {
		logger.Warn("mail.driver is log: invitations, password links and lockout notices are logged, not sent; " +
			"set mail.driver to smtp to send them")
	}
	return mail.NewMailer(notifier, baseURL, "Roster")
}

// newAuthenticator builds the authenticator of the auth.* settings (link
// and session lifetimes, the TOTP issuer) over svc, with seeds sealed by
// sealer, SMS codes texted by texter (nil: no SMS factor) and passkeys
// checked by wa (nil: none): the admin API logs users in and issues
// one-time links with it, and `roster import --invite` issues its
// invitations with it too.
func (a *app) newAuthenticator(cfg *config.Config, svc *directory.Service, sealer *auth.Sealer, mailer *mail.Mailer, texter sms.Sender, logger *slog.Logger, wa *webauthn.WebAuthn) (*auth.Authenticator, error) {
	ac := cfg.Auth
	return auth.NewAuthenticator(auth.Config{
		Directory:   svc,
		SMS:         texter,
		Logger:      logger,
		WebAuthn:    wa,
		TOTP:        &auth.TOTP{Issuer: ac.TOTPIssuer, Sealer: sealer},
		Params:      a.passwordParams,
		OnLockout:   admin.LockoutNotifier(svc, mailer, logger),
		Now:         a.now,
		SessionTTL:  ac.SessionTTL,
		PendingTTL:  ac.PendingTTL,
		InviteTTL:   ac.InviteTTL,
		ResetTTL:    ac.ResetTTL,
		APITokenTTL: ac.APITokenTTL,
	})
}

// webHandlers are the handlers of the API and the console, which share
// the authenticator (and so the sessions), and the body limits of the
// API's upload routes (see admin.UploadBodyLimits).
type webHandlers struct {
	api          http.Handler
	console      http.Handler
	uploadLimits map[string]int64
}

// newWebHandlers builds the /api/v1 handler, the web console, and what
// they depend on: the sealer under the encryption key, the authenticator
// and single sign-on, and the bulk importer. runner serves the directory
// connectors under /api/v1/connectors; client makes the calls to single
// sign-on providers; share splits the login rate limit between replicas.
func (a *app) newWebHandlers(cfg *config.Config, svc *directory.Service, key *encryptionKey, mailer *mail.Mailer, runner *engine.Runner, client *http.Client, share ratelimit.Share, logger *slog.Logger, baseURL string) (*webHandlers, error) {
	sealer, err := auth.NewSealer(key.key, key.previous...)
	if err != nil {
		return nil, err
	}
	ac := cfg.Auth
	// SMS codes go out through the outbound client, as other calls do.
	texter, err := newSMSSender(cfg.SMS, client, logger)
	if err != nil {
		return nil, fmt.Errorf("sms: %w", err)
	}
	authn, err := a.newAuthenticator(cfg, svc, sealer, mailer, texter, logger, newWebAuthn(cfg, baseURL, logger))
	if err != nil {
		return nil, err
	}
	sso := auth.NewSSO(authn, sealer, client, baseURL+admin.CallbackPath)
	// One login budget for the API and the console, split between replicas;
	// a rate of 0 or less turns it off.
	authLimiter := ratelimit.New(max(ac.RateLimit.RequestsPerSecond, 0), ac.RateLimit.Burst, share, a.now)
	if warning := cookieWarning(baseURL, ac.InsecureCookies); warning != "" {
		logger.Warn(warning, "public_url", baseURL)
	}
	im := importer.New(svc, admin.NewInviter(svc, authn, mailer, logger), importer.Config{Now: a.now}, logger)
	apiCfg := admin.Config{
		Directory:       svc,
		Auth:            authn,
		SSO:             sso,
		Sealer:          sealer,
		Mailer:          mailer,
		Logger:          logger,
		Now:             a.now,
		PublicURL:       baseURL,
		MaxBodyBytes:    cfg.HTTP.MaxBodyBytes,
		AuthLimiter:     authLimiter,
		InsecureCookies: ac.InsecureCookies,
		Sync:            runner,
		Importer:        im,
	}
	api, err := admin.NewHandler(apiCfg)
	if err != nil {
		return nil, err
	}
	users, err := admin.NewUserOps(apiCfg)
	if err != nil {
		return nil, err
	}
	web, err := console.New(console.Config{
		Users:           users,
		Importer:        im,
		Directory:       svc,
		Auth:            authn,
		SendReset:       admin.ResetSender(svc, authn, mailer, logger),
		Sealer:          sealer,
		Sync:            runner,
		Logger:          logger,
		Now:             a.now,
		PublicURL:       baseURL,
		SSO:             true,
		InsecureCookies: ac.InsecureCookies,
		MaxBodyBytes:    cfg.HTTP.MaxBodyBytes,
		AuthLimiter:     authLimiter,
	})
	if err != nil {
		return nil, err
	}
	limits := admin.UploadBodyLimits(im)
	maps.Copy(limits, console.UploadBodyLimits(im))
	return &webHandlers{api: api, console: web, uploadLimits: limits}, nil
}

// cookieWarning says why browsers would drop the session cookie: it is
// Secure, and the public URL is plain HTTP on a host browsers do not
// trust as local.
func cookieWarning(baseURL string, insecureCookies bool) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme != "http" || insecureCookies {
		return ""
	}
	switch host := u.Hostname(); {
	case host == "localhost", strings.HasSuffix(host, ".localhost"):
		return ""
	case net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback():
		return ""
	}
	return "the public URL is plain HTTP: browsers will not send the Secure session cookie back; " +
		"serve Roster over HTTPS (http.public_url), or set auth.insecure_cookies for development"
}

// newHTTPServer builds the HTTP component with every handler that exists:
// the SCIM endpoint, the admin API, the web console, health, readiness and
// metrics. The body limits of the admin API's upload routes (web) take
// files larger than http.max_body_bytes; replicas splits the SCIM rate limit.
func (a *app) newHTTPServer(cfg *config.Config, ln net.Listener, st directory.Store, svc *directory.Service, web *webHandlers, replicas *cluster.Membership, runner *engine.Runner, logger *slog.Logger, baseURL string) (*server.Server, error) {
	scimHandler, err := scim.NewHandler(scim.Config{
		Service:      svc,
		BaseURL:      scimBaseURL(baseURL),
		Logger:       logger,
		MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
		RateLimit:    cfg.SCIM.RateLimit.RequestsPerSecond,
		RateBurst:    cfg.SCIM.RateLimit.Burst,
		RateShare:    replicas.Live,
		Now:          a.now,
		HashPassword: func(plaintext string) (string, error) { return auth.HashPassword(plaintext, a.passwordParams) },
	})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "roster_replicas_live",
			Help: "Replicas serving on this database, by their heartbeats; the rate limits are split between them.",
		}, func() float64 { return float64(replicas.Live()) }),
		runner.Metrics(),
	)
	if rf, ok := st.(readFallbacker); ok && cfg.Database.ReadURL != "" {
		reg.MustRegister(readFallbackMetrics(rf)...)
	}
	return server.New(server.Config{
		Listener: ln,
		Logger:   logger,
		Registry: reg,
		Store:    st,
		Mounts: []server.Mount{
			{Pattern: scimPath + "/", Handler: http.StripPrefix(scimPath, scimHandler)},
			// The admin handler routes full paths: no StripPrefix.
			{Pattern: admin.Prefix + "/", Handler: web.api},
			// The console routes full paths too, and serves what the
			// others do not: pages, assets and the HTML not-found page.
			{Pattern: "/", Handler: web.console},
		},
		MaxBodyBytes:    cfg.HTTP.MaxBodyBytes,
		BodyLimits:      bodyLimits(web.uploadLimits, cfg.HTTP.MaxBodyBytes),
		ShutdownTimeout: cfg.HTTP.ShutdownTimeout,
		MaxInFlight:     cfg.HTTP.MaxInFlight,
		QueueTimeout:    cfg.HTTP.QueueTimeout,
		HSTS:            strings.HasPrefix(baseURL, "https://"),
	})
}

// bodyLimits are the per-route body limits of the server: those of the
// upload routes, never below http.max_body_bytes.
func bodyLimits(uploads map[string]int64, maxBody int64) map[string]int64 {
	out := make(map[string]int64, len(uploads))
	for pattern, n := range uploads {
		out[pattern] = max(n, maxBody)
	}
	return out
}

// newLogger builds the process logger: JSON or text on w at the configured
// level, with the request id of the context added to every record.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.SlogLevel()}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if c.Format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(server.NewLogHandler(h))
}

// buildInfo exports roster_build_info{version} = 1, so dashboards can tell
// which version each replica runs.
func buildInfo() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "roster_build_info",
		Help:        "Always 1; the version label tells the running version.",
		ConstLabels: prometheus.Labels{"version": versionString()},
	})
	g.Set(1)
	return g
}

// newWebAuthn makes the relying party of passkeys from auth.passkeys and
// the public URL, or returns nil (passkeys off, said in the log) when
// they cannot work there: WebAuthn binds passkeys to a domain name, and
// a public URL on an IP address has none.
func newWebAuthn(cfg *config.Config, baseURL string, logger *slog.Logger) *webauthn.WebAuthn {
	pc := cfg.Auth.Passkeys
	var origins []string
	for o := range strings.SplitSeq(pc.Origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, strings.TrimRight(o, "/"))
		}
	}
	wa, err := auth.NewWebAuthn(baseURL, strings.TrimSpace(pc.RPID), origins, cfg.Auth.TOTPIssuer)
	if err != nil {
		logger.Warn("passkeys are off", "reason", err.Error())
		return nil
	}
	return wa
}
