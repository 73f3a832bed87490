package entra_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/sync/entra"
	"github.com/roster/roster/sync/entra/entratest"
)

// cloudTransport answers as Microsoft's login endpoint (a client
// credentials token) and Graph (an empty page of users) on any host, and
// records each request as "host path" and each token request's scope.
type cloudTransport struct {
	mu       sync.Mutex
	requests []string
	scopes   []string
}

func (c *cloudTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, r.URL.Host+" "+r.URL.Path)
	body := `{"value":[]}`
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, err
		}
		c.scopes = append(c.scopes, form.Get("scope"))
		body = `{"token_type":"Bearer","expires_in":3599,"access_token":"t"}`
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func TestTheCloudChoosesLoginGraphAndScope(t *testing.T) {
	const tenant = "00000000-0000-4000-8000-00000000aaaa"
	for _, tc := range []struct {
		name                string
		settings            entra.Settings
		login, graph, scope string
	}{
		{"global by default", entra.Settings{},
			"login.microsoftonline.com", "graph.microsoft.com", "https://graph.microsoft.com/.default"},
		{"US Government L4", entra.Settings{Cloud: entra.CloudUSGov},
			"login.microsoftonline.us", "graph.microsoft.us", "https://graph.microsoft.us/.default"},
		{"US Government L5 (DoD)", entra.Settings{Cloud: entra.CloudUSGovDoD},
			"login.microsoftonline.us", "dod-graph.microsoft.us", "https://dod-graph.microsoft.us/.default"},
		{"China", entra.Settings{Cloud: entra.CloudChina},
			"login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/.default"},
		{"a cloud's Graph URL without a cloud chooses that cloud", entra.Settings{GraphURL: "https://graph.microsoft.us/"},
			"login.microsoftonline.us", "graph.microsoft.us", "https://graph.microsoft.us/.default"},
		{"an overridden Graph keeps the cloud's scope", entra.Settings{Cloud: entra.CloudUSGov, GraphURL: "https://graph-proxy.corp.test"},
			"login.microsoftonline.us", "graph-proxy.corp.test", "https://graph.microsoft.us/.default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := &cloudTransport{}
			s := tc.settings
			s.TenantID, s.ClientID = tenant, "roster"
			c, err := entra.New(s, "secret", entra.WithHTTPClient(&http.Client{Transport: rt}))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Check(context.Background()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			want := []string{tc.login + " /" + tenant + "/oauth2/v2.0/token", tc.graph + " /v1.0/users"}
			if diff := cmp.Diff(want, rt.requests); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tc.scope}, rt.scopes); diff != "" {
				t.Errorf("token scope (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnUnknownCloudIsRefused(t *testing.T) {
	_, err := entra.New(entra.Settings{TenantID: "t", ClientID: "c", Cloud: "mars"}, "secret")
	if err == nil || !strings.Contains(err.Error(), `cloud must be global, usgov, usgov-dod or china, not "mars"`) {
		t.Errorf("New: %v", err)
	}
}

func TestASovereignTenantThroughTheGraphFake(t *testing.T) {
	g := entratest.New()
	t.Cleanup(g.Close)
	g.Scope = "https://graph.microsoft.us/.default" // the fake plays a US Government tenant
	check := func(cloud string) error {
		c, err := entra.New(entra.Settings{TenantID: g.TenantID, ClientID: g.ClientID, Cloud: cloud, AuthorityURL: g.URL, GraphURL: g.URL},
			g.ClientSecret, entra.WithHTTPClient(g.Client()))
		if err != nil {
			t.Fatal(err)
		}
		return c.Check(context.Background())
	}
	if err := check(entra.CloudUSGov); err != nil {
		t.Errorf("the US Government cloud: %v", err)
	}
	if err := check(entra.CloudGlobal); err == nil || !strings.Contains(err.Error(), "invalid_scope") {
		t.Errorf("the global cloud's scope against a US Government tenant: %v, want invalid_scope", err)
	}
}
