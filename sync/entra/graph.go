package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// errResync reports that Graph dropped the delta state (410 Gone, or an
// expired token): the round must start again from a full read.
var errResync = errors.New("entra: delta token expired; full resync required")

// resyncCodes are the Graph error codes that mean the delta token is no
// longer usable.
var resyncCodes = map[string]bool{
	"syncStateNotFound": true,
	"syncStateInvalid":  true,
	"resyncRequired":    true,
}

// page is one response of a listing, its objects decoded as T.
type page[T any] struct {
	Value     []T    `json:"value"`
	NextLink  string `json:"@odata.nextLink"`
	DeltaLink string `json:"@odata.deltaLink"`
}

// getPage fetches one page and decodes it once, numbers as json.Number so
// that mapped values keep their digits.
func getPage[T any](ctx context.Context, g *graph, link string) (*page[T], error) {
	var p page[T]
	err := g.get(ctx, link, func(body io.Reader) error {
		dec := json.NewDecoder(body)
		dec.UseNumber()
		return dec.Decode(&p)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// getDeltaPage is getPage for a page of a delta round, which goes on
// (nextLink) or ends (deltaLink).
func getDeltaPage[T any](ctx context.Context, g *graph, link string) (*page[T], error) {
	p, err := getPage[T](ctx, g, link)
	if err == nil && p.NextLink == "" && p.DeltaLink == "" {
		return nil, fmt.Errorf("entra: %s answered with neither nextLink nor deltaLink", pathOf(link))
	}
	return p, err
}

func pathOf(link string) string {
	if u, err := url.Parse(link); err == nil {
		return u.Path
	}
	return link
}

// graphError is Graph's error body.
type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// graph issues GETs to Microsoft Graph, retrying throttled and unavailable
// responses.
type graph struct {
	client     *http.Client // carries the bearer token
	host       string       // the only host the token is sent to
	maxRetries int
	sleep      func(ctx context.Context, d time.Duration) error
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// get fetches link and hands a 200 response's body to decode. It follows
// link verbatim, as Graph asks, but only on the configured Graph host, so
// that a forged link cannot take the token elsewhere.
func (g *graph) get(ctx context.Context, link string, decode func(io.Reader) error) error {
	u, err := url.Parse(link)
	if err != nil || u.Host != g.host {
		return fmt.Errorf("entra: refusing link outside the Graph host %s: %q", g.host, link)
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := g.client.Do(req)
		if err != nil {
			return fmt.Errorf("entra: GET %s: %w", u.Path, err)
		}
		if resp.StatusCode == http.StatusOK {
			err := decode(resp.Body)
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("entra: decoding %s: %w", u.Path, err)
			}
			return nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		var ge graphError
		_ = json.Unmarshal(body, &ge)
		switch {
		case resp.StatusCode == http.StatusGone || resyncCodes[ge.Error.Code]:
			return errResync
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable ||
			resp.StatusCode == http.StatusGatewayTimeout:
			if attempt >= g.maxRetries {
				return fmt.Errorf("entra: %s still %d after %d retries", u.Path, resp.StatusCode, attempt)
			}
			if err := g.sleep(ctx, retryAfter(resp.Header.Get("Retry-After"), attempt)); err != nil {
				return err
			}
			continue
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return fmt.Errorf("entra: %s: %d %s (the application needs User.Read.All and GroupMember.Read.All): %s",
				u.Path, resp.StatusCode, ge.Error.Code, ge.Error.Message)
		default:
			return fmt.Errorf("entra: %s: %d %s: %s", u.Path, resp.StatusCode, ge.Error.Code, ge.Error.Message)
		}
	}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), falling
// back to exponential backoff.
func retryAfter(h string, attempt int) time.Duration {
	if h != "" {
		if s, err := strconv.Atoi(h); err == nil && s >= 0 {
			return min(time.Duration(s)*time.Second, 5*time.Minute)
		}
		if t, err := http.ParseTime(h); err == nil {
			return min(max(time.Until(t), 0), 5*time.Minute)
		}
	}
	return backoff(attempt)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
