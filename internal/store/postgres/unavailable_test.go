package postgres_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

// proxy forwards TCP connections to PostgreSQL until it is stopped, when
// it drops every connection and refuses new ones: what a restart or a
// failover looks like from Roster.
type proxy struct {
	target string
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
}

func startProxy(t *testing.T, addr, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{target: target, ln: ln}
	go p.serve()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

func (p *proxy) stop() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// When PostgreSQL goes away, reads and transactions fail with
// CodeUnavailable (503 and Retry-After to clients), not CodeInternal (500);
// when it is back, the pool reconnects by itself.
func TestADatabaseThatGoesAwayIsUnavailable(t *testing.T) {
	raw := pgtest.NewDatabaseURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	p := startProxy(t, "127.0.0.1:0", target)
	addr := p.ln.Addr().String()
	u.Host = addr
	s := open(t, u.String())
	ctx := context.Background()
	n, err := s.Orgs().CountOrgs(ctx)
	if err != nil {
		t.Fatal(err)
	}

	p.stop()
	if _, err := s.Orgs().CountOrgs(ctx); directory.ErrorCode(err) != directory.CodeUnavailable {
		t.Errorf("a read while the database is away: %v, want unavailable", err)
	}
	err = s.InTx(ctx, func(r directory.Repos) error {
		_, err := r.Orgs().CountOrgs(ctx)
		return err
	})
	if directory.ErrorCode(err) != directory.CodeUnavailable {
		t.Errorf("a transaction while the database is away: %v, want unavailable", err)
	}
	if msg := directory.ErrorMessage(err); msg != "the service is briefly unavailable; try again" {
		t.Errorf("the message shown to clients is %q", msg)
	}

	startProxy(t, addr, target)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := s.Orgs().CountOrgs(ctx)
		if err == nil && got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover once the database was back: %d, %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Errors that are the request's, not the database's absence, keep their
// codes.
func TestOtherDatabaseErrorsAreNotUnavailable(t *testing.T) {
	s := open(t, pgtest.NewDatabaseURL(t))
	ctx := context.Background()
	o := &directory.Org{ID: directory.NewID(), Slug: "acme", Name: "Acme", Settings: directory.DefaultOrgSettings(),
		CreatedAt: time.Now(), UpdatedAt: time.Now(), Version: 1}
	if err := s.Orgs().CreateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	dup := *o
	dup.ID = directory.NewID()
	if err := s.Orgs().CreateOrg(ctx, &dup); directory.ErrorCode(err) != directory.CodeConflict {
		t.Errorf("a taken slug: %v, want conflict", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Orgs().CountOrgs(cancelled); directory.IsCode(err, directory.CodeUnavailable) {
		t.Errorf("a cancelled request is reported as the database's absence: %v", err)
	}
}
