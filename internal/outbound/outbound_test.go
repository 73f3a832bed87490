package outbound

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func get(t *testing.T, c *http.Client, u string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Do(req)
}

// loopback allows the httptest servers on 127.0.0.1, which the default
// policy refuses.
var loopback = mustPolicy("127.0.0.0/8", "::1")

func mustPolicy(allow ...string) *Policy {
	p, err := NewPolicy(allow...)
	if err != nil {
		panic(err)
	}
	return p
}

// stall answers after release is closed, or when the client gives up.
func stall(release <-chan struct{}, beforeHeaders bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !beforeHeaders {
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
}

func TestTimeoutsFire(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		headers bool // the server stalls before its headers
	}{
		{"the response header timeout stops a server that never answers", Options{Policy: loopback, ResponseHeaderTimeout: 100 * time.Millisecond, Timeout: time.Minute}, true},
		{"the total timeout stops a server that never answers", Options{Policy: loopback, ResponseHeaderTimeout: time.Minute, Timeout: 100 * time.Millisecond}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(stall(release, tc.headers))
			defer srv.Close()
			defer close(release)
			start := time.Now()
			resp, err := get(t, New(tc.opts), srv.URL)
			if err == nil {
				resp.Body.Close()
				t.Fatal("the request succeeded; want a timeout")
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Fatalf("the request took %s", elapsed)
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("err = %v, want a timeout", err)
			}
		})
	}

	t.Run("the total timeout stops a body that never ends", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(stall(release, false))
		defer srv.Close()
		defer close(release)
		resp, err := get(t, New(Options{Policy: loopback, Timeout: 200 * time.Millisecond}), srv.URL)
		if err != nil {
			t.Fatalf("the headers should arrive: %v", err)
		}
		defer resp.Body.Close()
		start := time.Now()
		if _, err := io.ReadAll(resp.Body); err == nil {
			t.Fatal("reading the body succeeded; want a timeout")
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Fatalf("reading took %s", elapsed)
		}
	})

	t.Run("the TLS handshake timeout stops a server that never answers the hello", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var conns sync.WaitGroup
		done, accepting := make(chan struct{}), make(chan struct{})
		// The listener closes and the accept loop ends before the
		// connections are waited for, so that no Add races the Wait.
		defer func() { ln.Close(); <-accepting; close(done); conns.Wait() }()
		go func() {
			defer close(accepting)
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				conns.Add(1)
				go func() { defer conns.Done(); <-done; c.Close() }() // accept, say nothing
			}
		}()
		start := time.Now()
		resp, err := get(t, New(Options{Policy: loopback, TLSHandshakeTimeout: 100 * time.Millisecond, Timeout: time.Minute}), "https://"+ln.Addr().String())
		if err == nil {
			resp.Body.Close()
			t.Fatal("the request succeeded; want a handshake timeout")
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Fatalf("the request took %s", elapsed)
		}
		if !strings.Contains(err.Error(), "handshake timeout") {
			t.Fatalf("err = %v, want a TLS handshake timeout", err)
		}
	})

	t.Run("the connect timeout bounds dialling", func(t *testing.T) {
		// A Control hook that outlasts the connect timeout stands in for a
		// host that never answers the SYN, which loopback cannot imitate.
		slow := func(string, string, syscall.RawConn) error { time.Sleep(300 * time.Millisecond); return nil }
		c := New(Options{Policy: loopback, ConnectTimeout: 50 * time.Millisecond, Control: slow, Timeout: time.Minute})
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		defer srv.Close()
		resp, err := get(t, c, srv.URL)
		if err == nil {
			resp.Body.Close()
			t.Fatal("the request succeeded; want a dial timeout")
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v, want a timeout", err)
		}
	})
}

func TestEveryRequestCarriesTheUserAgent(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" "+r.UserAgent())
		mu.Unlock()
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
		}
	}))
	defer srv.Close()

	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/old", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "something-else")
	resp, err := New(Options{Policy: loopback, Version: "v1.2.3"}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := req.Header.Get("User-Agent"); got != "something-else" {
		t.Errorf("the caller's request was changed: User-Agent %q", got)
	}
	want := []string{"/old Roster/v1.2.3", "/new Roster/v1.2.3"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("requests seen %q, want %q", seen, want)
	}
}

func TestUserAgent(t *testing.T) {
	for version, want := range map[string]string{
		"":                 "Roster",
		"v1.2.3":           "Roster/v1.2.3",
		"devel-0123abcd-d": "Roster/devel-0123abcd-d",
		"1.0 (beta)":       "Roster/1.0--beta-",
	} {
		if got := UserAgent(version); got != want {
			t.Errorf("UserAgent(%q) = %q, want %q", version, got, want)
		}
	}
}

func TestProxyFromConfigIsUsed(t *testing.T) {
	var mu sync.Mutex
	var proxied []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A forward proxy receives the absolute URL of the destination.
		mu.Lock()
		proxied = append(proxied, r.Method+" "+r.URL.String()+" "+r.UserAgent())
		mu.Unlock()
		_, _ = io.WriteString(w, "from the proxy")
	}))
	defer proxy.Close()

	proxyFunc, err := ParseProxy(proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The destination does not exist: only the proxy can answer.
	resp, err := get(t, New(Options{Proxy: proxyFunc, Version: "v1"}), "http://graph.invalid/v1.0/users")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "from the proxy" {
		t.Fatalf("body %q", body)
	}
	if len(proxied) != 1 || proxied[0] != "GET http://graph.invalid/v1.0/users Roster/v1" {
		t.Fatalf("the proxy saw %q", proxied)
	}
}

func TestProxyNoneAndEnvironment(t *testing.T) {
	// ProxyFromEnvironment reads the environment once per process and never
	// proxies loopback, so an httptest proxy cannot be reached through it;
	// check which function each setting chooses instead.
	none, err := ParseProxy(ProxyNone)
	if err != nil || none != nil {
		t.Fatalf("ParseProxy(none) = %p, %v; want no proxy", none, err)
	}
	env, err := ParseProxy(ProxyEnvironment)
	if err != nil || reflect.ValueOf(env).Pointer() != reflect.ValueOf(http.ProxyFromEnvironment).Pointer() {
		t.Fatalf("ParseProxy(environment) = %p, %v; want http.ProxyFromEnvironment", env, err)
	}
	tr := New(Options{Proxy: none}).Transport.(*userAgent).next.(*http.Transport)
	if tr.Proxy != nil {
		t.Fatal("a client without a proxy has a Proxy function")
	}
}

func TestParseProxyRejects(t *testing.T) {
	for _, s := range []string{
		"", "env", "proxy.example.com:3128", "ftp://proxy.example.com", "http://", "http://proxy.example.com/path",
		"http://proxy.example.com?x=1", "http://user:hunter2@proxy.example.com/p",
	} {
		_, err := ParseProxy(s)
		if err == nil {
			t.Errorf("ParseProxy(%q) accepted it", s)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseProxy(%q) repeats the password: %v", s, err)
		}
	}
	for _, s := range []string{"http://proxy.example.com:3128", "https://user:pw@proxy.example.com", "socks5://127.0.0.1:1080", "http://proxy.example.com/"} {
		f, err := ParseProxy(s)
		if err != nil {
			t.Errorf("ParseProxy(%q): %v", s, err)
			continue
		}
		got, err := f(&http.Request{URL: &url.URL{Scheme: "https", Host: "graph.microsoft.com"}})
		if err != nil || got == nil || got.Host == "" {
			t.Errorf("ParseProxy(%q) routes to %v, %v", s, got, err)
		}
	}
}

func TestControlSeesEveryConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	refused := errors.New("refused by policy")
	var addrs []string
	c := New(Options{Policy: loopback, Control: func(network, address string, _ syscall.RawConn) error {
		addrs = append(addrs, address)
		return refused
	}})
	resp, err := get(t, c, srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the request succeeded; Control refused it")
	}
	if !errors.Is(err, refused) {
		t.Fatalf("err = %v, want the Control error", err)
	}
	if len(addrs) != 1 || addrs[0] != srv.Listener.Addr().String() {
		t.Fatalf("Control saw %q, want %s", addrs, srv.Listener.Addr())
	}
}
