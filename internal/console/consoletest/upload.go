package consoletest

import (
	"bytes"
	"mime/multipart"
	"net/http"
)

// PostFile submits a multipart form to path with a file in field (named
// name), the fields given and the client's CSRF token.
func (c *Client) PostFile(path, field, name string, content []byte, fields map[string]string) *Response {
	c.e.T.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			c.e.T.Fatal(err)
		}
	}
	if _, ok := fields["csrf_token"]; !ok {
		if err := mw.WriteField("csrf_token", c.CSRF()); err != nil {
			c.e.T.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		c.e.T.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		c.e.T.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		c.e.T.Fatal(err)
	}
	req, err := http.NewRequestWithContext(c.e.Ctx, http.MethodPost, c.e.URL+path, &body)
	if err != nil {
		c.e.T.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}
