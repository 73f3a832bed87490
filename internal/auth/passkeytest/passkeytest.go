// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers the options Roster hands to navigator.credentials.create and
// .get with ECDSA P-256 keys, "none" attestation and a signature counter,
// the way a browser with a security key would.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Authenticator flags.
const (
	FlagUserPresent  byte = 0x01
	FlagUserVerified byte = 0x04
	flagAttested     byte = 0x40
)

// Authenticator holds keys and answers ceremonies. Origin is the origin
// the "browser" reports; RPID, if set, replaces the relying party id of
// the options (to play a phishing site).
type Authenticator struct {
	Origin string
	RPID   string
	// Flags are the user present/verified flags of every answer;
	// New sets both.
	Flags byte
	Keys  []*Key
}

// Key is one credential of the authenticator.
type Key struct {
	ID         []byte
	UserHandle []byte
	RPID       string
	Count      uint32
	priv       *ecdsa.PrivateKey
}

// New returns an authenticator whose browser runs at origin.
func New(origin string) *Authenticator {
	return &Authenticator{Origin: origin, Flags: FlagUserPresent | FlagUserVerified}
}

var b64 = base64.RawURLEncoding

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Challenge returns the challenge of creation or request options.
func Challenge(options []byte) string {
	var o creationOptions
	_ = json.Unmarshal(options, &o)
	return o.PublicKey.Challenge
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return cd
}

func (a *Authenticator) rpID(fromOptions string) string {
	if a.RPID != "" {
		return a.RPID
	}
	return fromOptions
}

// Register answers creation options (the JSON Roster returns) with a new
// key and returns the PublicKeyCredential's JSON.
func (a *Authenticator) Register(options []byte) ([]byte, *Key, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, nil, err
	}
	user, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("user id: %w", err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	k := &Key{ID: []byte(rand.Text()), UserHandle: user, RPID: a.rpID(o.PublicKey.RP.ID), priv: priv}
	pub, err := priv.PublicKey.ECDH()
	if err != nil {
		return nil, nil, err
	}
	raw := pub.Bytes() // 0x04 || x || y
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         1, XCoord: raw[1:33], YCoord: raw[33:],
	})
	if err != nil {
		return nil, nil, err
	}
	auth := a.authData(k.RPID, a.Flags|flagAttested, k.Count)
	auth = append(auth, make([]byte, 16)...)                      // AAGUID: none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(k.ID))) // #nosec G115 -- rand.Text is 26 bytes
	auth = append(append(auth, k.ID...), cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, nil, err
	}
	a.Keys = append(a.Keys, k)
	cred, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.ID), "rawId": b64.EncodeToString(k.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"usb"},
		},
	})
	return cred, k, err
}

func (a *Authenticator) authData(rpID string, flags byte, count uint32) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, count)
}

// Assert answers request options with key k (nil: the first of its keys
// the options allow, or its first key when they list none, as for a
// passwordless sign-in), counting one more signature.
func (a *Authenticator) Assert(options []byte, k *Key) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	if k == nil {
		k = a.pick(o)
	}
	if k == nil {
		return nil, errors.New("passkeytest: no key fits the options")
	}
	k.Count++
	return a.Sign(o.PublicKey.Challenge, a.rpID(o.PublicKey.RPID), k)
}

func (a *Authenticator) pick(o requestOptions) *Key {
	if len(o.PublicKey.AllowCredentials) == 0 && len(a.Keys) > 0 {
		return a.Keys[0]
	}
	for _, c := range o.PublicKey.AllowCredentials {
		for _, k := range a.Keys {
			if b64.EncodeToString(k.ID) == c.ID {
				return k
			}
		}
	}
	return nil
}

// Sign makes an assertion of key k over challenge for relying party rpID
// with its current counter.
func (a *Authenticator) Sign(challenge, rpID string, k *Key) ([]byte, error) {
	auth := a.authData(rpID, a.Flags, k.Count)
	cd := a.clientData("webauthn.get", challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.ID), "rawId": b64.EncodeToString(k.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(k.UserHandle),
		},
	})
}
