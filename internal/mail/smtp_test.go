package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testCert returns a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "roster test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// received is one message the test server accepted.
type received struct {
	from, user string
	to         []string
	tls        bool
	data       []byte
}

// smtpServer is a real SMTP server (emersion/go-smtp) that demands AUTH
// PLAIN, which it only offers over TLS, and records what it receives.
type smtpServer struct {
	user, pass string
	mu         sync.Mutex
	got        []received
}

func (s *smtpServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &smtpSession{srv: s, msg: received{tls: isTLS}, conn: c}, nil
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	msg  received
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return errors.New("invalid credentials")
		}
		s.msg.user = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.msg.user == "" {
		return smtp.ErrAuthRequired
	}
	s.msg.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.msg
	m.data = data
	_, m.tls = s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, m)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.msg.from, s.msg.to = "", nil }
func (s *smtpSession) Logout() error { return nil }

// startSMTP serves be on a loopback port: with STARTTLS offered when
// starttls, speaking TLS from the start when implicit, in the clear
// otherwise.
func startSMTP(t *testing.T, be *smtpServer, cert tls.Certificate, starttls, implicit bool) int {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	var l net.Listener
	var err error
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", tlsCfg)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
		if starttls {
			srv.TLSConfig = tlsCfg
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func testMessage(t *testing.T) Message {
	t.Helper()
	tpl, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tpl.Render(PasswordReset, "ada@example.com", templateData{
		OrgName: "Acme", UserName: "ada@example.com", Name: "Ada Lovelace",
		Link: "https://roster.example.com/reset?token=abc", LinkExpires: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPDeliversOverSTARTTLSWithAuthPlain(t *testing.T) {
	cert, pool := testCert(t)
	be := &smtpServer{user: "roster", pass: "s3cret"}
	port := startSMTP(t, be, cert, true, false)
	n, err := NewSMTP("Roster <no-reply@roster.example.com>", SMTPConfig{
		Host: "127.0.0.1", Port: port, Security: SecuritySTARTTLS,
		Username: "roster", Password: "s3cret", Timeout: 5 * time.Second,
		TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := testMessage(t)
	if err := n.Send(context.Background(), want); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := be.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	m := got[0]
	if !m.tls || m.user != "roster" || m.from != "no-reply@roster.example.com" || len(m.to) != 1 || m.to[0] != "ada@example.com" {
		t.Fatalf("envelope: tls=%v user=%q from=%q to=%v", m.tls, m.user, m.from, m.to)
	}
	checkMIME(t, m.data, want)
}

func TestSMTPDeliversOverImplicitTLS(t *testing.T) {
	cert, pool := testCert(t)
	be := &smtpServer{user: "roster", pass: "s3cret"}
	port := startSMTP(t, be, cert, false, true)
	n, err := NewSMTP("no-reply@roster.example.com", SMTPConfig{
		Host: "127.0.0.1", Port: port, Security: SecurityTLS, Username: "roster", Password: "s3cret",
		Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), testMessage(t)); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := be.messages(); len(got) != 1 || !got[0].tls {
		t.Fatalf("got %d messages (want 1 over TLS)", len(got))
	}
}

func TestSMTPRefusals(t *testing.T) {
	cert, pool := testCert(t)
	trusting := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	cases := []struct {
		name     string
		starttls bool
		cfg      SMTPConfig
	}{
		{"a wrong password is refused by the server", true,
			SMTPConfig{Security: SecuritySTARTTLS, Username: "roster", Password: "wrong", TLSConfig: trusting}},
		{"STARTTLS is mandatory: a server without it gets nothing", false,
			SMTPConfig{Security: SecuritySTARTTLS, Username: "roster", Password: "s3cret", TLSConfig: trusting}},
		{"an untrusted certificate stops the connection", true,
			SMTPConfig{Security: SecuritySTARTTLS, Username: "roster", Password: "s3cret"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			be := &smtpServer{user: "roster", pass: "s3cret"}
			c.cfg.Host, c.cfg.Port, c.cfg.Timeout = "127.0.0.1", startSMTP(t, be, cert, c.starttls, false), 5*time.Second
			n, err := NewSMTP("no-reply@roster.example.com", c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = n.Send(context.Background(), testMessage(t))
			if err == nil {
				t.Fatal("send succeeded")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error leaks the password: %v", err)
			}
			if got := be.messages(); len(got) != 0 {
				t.Fatalf("server received %d messages", len(got))
			}
		})
	}
}

func TestNewSMTPRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]SMTPConfig{
		"no host":          {Security: SecuritySTARTTLS},
		"unknown security": {Host: "mail.example.com", Security: "ssl3"},
		"bad port":         {Host: "mail.example.com", Port: 70000},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewSMTP("no-reply@example.com", cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// checkMIME parses a delivered message and compares its headers and parts
// with what was sent.
func checkMIME(t *testing.T, raw []byte, want Message) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != want.Subject {
		t.Fatalf("subject %q (%v), want %q", subject, err, want.Subject)
	}
	if to := msg.Header.Get("To"); !strings.Contains(to, want.To) {
		t.Fatalf("To %q", to)
	}
	if msg.Header.Get("Message-ID") == "" || msg.Header.Get("Date") == "" {
		t.Fatal("Message-ID or Date missing")
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("content type %q (%v)", mediaType, err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = strings.ReplaceAll(decodeTransfer(t, p.Header.Get("Content-Transfer-Encoding"), body), "\r\n", "\n")
	}
	if parts["text/plain"] != want.Text {
		t.Fatalf("text part %q, want %q", parts["text/plain"], want.Text)
	}
	if !strings.Contains(parts["text/html"], `href="https://roster.example.com/reset?token=abc"`) {
		t.Fatalf("html part %q lacks the link", parts["text/html"])
	}
}

// decodeTransfer undoes a part's transfer encoding.
func decodeTransfer(t *testing.T, encoding string, body []byte) string {
	t.Helper()
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(body))))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), ""))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return string(body)
}
