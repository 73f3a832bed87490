package scim

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/roster/roster/internal/directory"
)

type tokenKey struct{}

// tokenOf returns the token the request was authenticated with.
func tokenOf(ctx context.Context) *directory.Token {
	t, _ := ctx.Value(tokenKey{}).(*directory.Token)
	return t
}

// actorOf is who audit events of the request name: the token.
func actorOf(ctx context.Context) directory.Actor { return directory.TokenActor(tokenOf(ctx)) }

// authenticate checks the bearer token and answers 401 (with the
// WWW-Authenticate challenge of RFC 6750) when it is missing, unknown or
// revoked. ctx is the request's context with its request id.
func (h *handler) authenticate(ctx context.Context, w http.ResponseWriter, r *http.Request) (*directory.Token, bool) {
	scheme, raw, found := strings.Cut(r.Header.Get("Authorization"), " ")
	raw = strings.TrimSpace(raw)
	if !found || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		writeError(w, scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "a bearer token is required"})
		return nil, false
	}
	tok, err := h.tokens.authenticate(ctx, raw)
	if err != nil {
		if directory.IsCode(err, directory.CodeUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scim", error="invalid_token"`)
		}
		h.fail(w, r.WithContext(ctx), err)
		return nil, false
	}
	return tok, true
}

// tokenCacheTTL is how long an authenticated token is trusted without
// asking the store again. Authentication is otherwise a database read on
// every request, as much as the request's own work for a lookup by filter;
// the price is that a revoked token keeps working for up to this long on
// each replica. Failures are never cached, so a new token works at once.
const tokenCacheTTL = time.Second

// maxCachedTokens bounds the cache; an organization has a handful of
// tokens, so reaching it means something is cycling through many.
const maxCachedTokens = 10_000

// tokenCache remembers tokens that authenticated, keyed by a hash of the
// presented secret (the plaintext is not kept).
type tokenCache struct {
	svc Directory
	now func() time.Time

	mu sync.Mutex
	m  map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	tok     *directory.Token
	expires time.Time
}

func newTokenCache(svc Directory, now func() time.Time) *tokenCache {
	return &tokenCache{svc: svc, now: now, m: map[[sha256.Size]byte]cachedToken{}}
}

func (c *tokenCache) authenticate(ctx context.Context, plaintext string) (*directory.Token, error) {
	key := sha256.Sum256([]byte(plaintext))
	now := c.now()
	c.mu.Lock()
	hit, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(hit.expires) {
		return hit.tok, nil
	}
	tok, err := c.svc.AuthenticateToken(ctx, directory.TokenSCIM, plaintext)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedTokens {
		for k, v := range c.m {
			if !now.Before(v.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCachedTokens {
			clear(c.m)
		}
	}
	c.m[key] = cachedToken{tok: tok, expires: now.Add(tokenCacheTTL)}
	return tok, nil
}
