// Package ldaptest runs LDAP servers for tests: a real OpenLDAP slapd
// (Debian's slapd package) started unprivileged in a temporary directory,
// and FakeAD, an in-process server that answers like an Active Directory
// domain controller for the cases slapd cannot play (objectGUID,
// userAccountControl, uSNChanged and invocationId, ranged retrieval).
package ldaptest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ldapv3 "github.com/go-ldap/ldap/v3"

	"github.com/roster/roster/internal/outbound"
)

// SlapdPath is where Debian installs slapd.
const SlapdPath = "/usr/sbin/slapd"

// Directory layout every slapd test directory starts with.
const (
	BaseDN        = "dc=example,dc=org"
	AdminDN       = "cn=admin,dc=example,dc=org"
	AdminPassword = "admin-secret"
	BindDN        = "cn=roster-sync,ou=services,dc=example,dc=org"
	BindPassword  = "sync-secret"
)

// Slapd is a running slapd.
type Slapd struct {
	URL    string // ldap://127.0.0.1:port (StartTLS available)
	TLSURL string // ldaps://127.0.0.1:port
	CACert string // PEM of the CA that signed the server certificate
	dir    string
	stop   func() error
}

// Stop kills slapd, as a directory server that goes away does; the test's
// end then has nothing left to stop.
func (s *Slapd) Stop() { _ = s.stop() }

// RequireSlapd skips the test when slapd is not installed, except in CI
// (CI=true), where that is a failure.
func RequireSlapd(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(SlapdPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: install the slapd and ldap-utils packages", SlapdPath)
		}
		t.Skipf("%s is missing: apt-get install slapd ldap-utils to run the OpenLDAP tests", SlapdPath)
	}
}

// StartSlapd loads seed (LDIF, without the base entries, which are added
// first) into a fresh mdb database with slapadd and starts slapd on two
// free loopback ports. It is stopped when the test ends.
func StartSlapd(t testing.TB, seed string) *Slapd {
	t.Helper()
	return StartSlapdFrom(t, func(w io.Writer) error {
		_, err := io.WriteString(w, seed)
		return err
	})
}

// StartSlapdFrom is StartSlapd with a seed that write streams to the
// LDIF file, so that a directory of 100,000 entries is never one string
// in memory.
func StartSlapdFrom(t testing.TB, write func(io.Writer) error) *Slapd {
	t.Helper()
	return start(t, write, "")
}

// StartSlapdSyncprov is StartSlapd with the syncprov overlay, so that the
// server offers RFC 4533 content synchronisation (the Sync Request
// control) as a provider does. Without a session log, a refresh from a
// cookie ends with a present phase.
func StartSlapdSyncprov(t testing.TB, seed string) *Slapd {
	t.Helper()
	return start(t, func(w io.Writer) error {
		_, err := io.WriteString(w, seed)
		return err
	}, syncprovConf)
}

// StartSlapdSyncprovFrom is StartSlapdSyncprov over a generated seed,
// with a session log of the last sessionlog changes: from it, refreshOnly
// content synchronisation answers a recent cookie with the entries deleted
// since (the delete phase) rather than by naming every entry still there
// (the present phase).
func StartSlapdSyncprovFrom(t testing.TB, write func(io.Writer) error, sessionlog int) *Slapd {
	t.Helper()
	return start(t, write, syncprovConf+fmt.Sprintf("syncprov-sessionlog %d\n", sessionlog))
}

// syncprovConf loads the overlay on the database (slapd.conf puts an
// overlay on the database defined last).
const syncprovConf = `index entryCSN eq
overlay syncprov
syncprov-checkpoint 100 10
`

func start(t testing.TB, write func(io.Writer) error, extra string) *Slapd {
	t.Helper()
	RequireSlapd(t)
	dir := t.TempDir()
	caPEM := writeCerts(t, dir)
	conf := filepath.Join(dir, "slapd.conf")
	text := slapdConf(dir) + extra
	if extra != "" {
		text = strings.Replace(text, "moduleload back_mdb\n", "moduleload back_mdb\nmoduleload syncprov\n", 1)
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	ldif := filepath.Join(dir, "seed.ldif")
	if err := writeLDIF(ldif, write); err != nil {
		t.Fatal(err)
	}
	slapadd := exec.CommandContext(context.Background(), "/usr/sbin/slapadd", "-q", "-f", conf, "-l", ldif) //nolint:gosec // a fixed binary on paths this function made
	if out, err := slapadd.CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		s, err := launch(t, dir, conf)
		if err == nil {
			s.CACert = caPEM
			return s
		}
		if attempt == 3 {
			t.Fatal(err)
		}
	}
}

// writeLDIF writes the base entries and then the seed to path.
func writeLDIF(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600) //nolint:gosec // a path in the test's own directory
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	_, err = io.WriteString(w, baseLDIF+"\n")
	if err == nil {
		err = write(w)
	}
	if err == nil {
		err = w.Flush()
	}
	return errors.Join(err, f.Close())
}

// launch starts slapd on two ports picked free a moment before; another
// process may take one in between, so the caller retries.
func launch(t testing.TB, dir, conf string) (*Slapd, error) {
	plain, secure := freePort(t), freePort(t)
	s := &Slapd{URL: "ldap://127.0.0.1:" + plain, TLSURL: "ldaps://127.0.0.1:" + secure, dir: dir}
	cmd := exec.CommandContext(context.Background(), SlapdPath, "-f", conf, "-h", s.URL+"/ "+s.TLSURL+"/", "-d", "0") //nolint:gosec // a fixed binary on a path and ports this package made
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting slapd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := net.Dialer{Timeout: 100 * time.Millisecond}
		c, err := d.DialContext(context.Background(), "tcp", "127.0.0.1:"+plain)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("slapd exited: %w\n%s", err, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("slapd did not listen within 10s\n%s", logs.String())
		}
	}
	var once sync.Once
	var exitErr error
	s.stop = func() error {
		once.Do(func() {
			_ = cmd.Process.Kill()
			exitErr = <-exited
		})
		return exitErr
	}
	t.Cleanup(func() {
		if err := s.stop(); err == nil {
			t.Log("slapd exited cleanly before it was stopped")
		}
	})
	return s, nil
}

func freePort(t testing.TB) string {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// Admin returns a connection bound as the directory manager, for a test
// to change the directory.
func (s *Slapd) Admin(t testing.TB) *ldapv3.Conn {
	t.Helper()
	c, err := ldapv3.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Bind(AdminDN, AdminPassword); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func slapdConf(dir string) string {
	return fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
TLSCACertificateFile %[1]s/ca.pem
TLSCertificateFile %[1]s/server.pem
TLSCertificateKeyFile %[1]s/server.key
sizelimit unlimited
database mdb
maxsize 2147483648
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
index objectClass eq
index entryUUID eq
index modifyTimestamp eq
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
`, dir, BaseDN, AdminDN, AdminPassword)
}

const baseLDIF = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: ou=services,dc=example,dc=org
objectClass: organizationalUnit
ou: services

dn: ` + BindDN + `
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: roster-sync
userPassword: ` + BindPassword + `
`

// writeCerts writes a throwaway CA and a server certificate for 127.0.0.1
// and localhost, and returns the CA's PEM.
func writeCerts(t testing.TB, dir string) string {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Roster test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	files := map[string][]byte{
		"ca.pem":     []byte(caPEM),
		"server.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"server.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caPEM
}

// Loopback is the destination policy that lets connectors reach the test
// servers, which listen on 127.0.0.1: the default policy refuses loopback.
func Loopback() *outbound.Policy {
	p, err := outbound.NewPolicy("127.0.0.0/8", "::1")
	if err != nil {
		panic(err)
	}
	return p
}
