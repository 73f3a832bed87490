// Package auth proves who a caller is: argon2id passwords, TOTP second
// factors with single-use steps and recovery codes, random secrets for
// sessions, personal tokens and one-time links (stored only as hashes),
// AES-GCM sealing of secrets at rest, OpenID Connect single sign-on and the
// rate limiter in front of login. It holds no state of its own: what must be
// remembered is stored through internal/directory.
package auth
