package seal

import (
	"bytes"
	"errors"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealOpens(t *testing.T) {
	s, err := New(key(1))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("seed"), "totp:u1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("seed")) {
		t.Fatal("the plaintext shows in the sealed value")
	}
	got, err := s.Open(sealed, "totp:u1")
	if err != nil || string(got) != "seed" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := s.Seal([]byte("seed"), "totp:u1")
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
}

func TestOpenRefuses(t *testing.T) {
	s, _ := New(key(1))
	other, _ := New(key(2))
	sealed, _ := s.Seal([]byte("secret"), "connector:c1")
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	wrongVersion := append([]byte(nil), sealed...)
	wrongVersion[0] = 9
	for name, open := range map[string]func() ([]byte, error){
		"another context":  func() ([]byte, error) { return s.Open(sealed, "connector:c2") },
		"another key":      func() ([]byte, error) { return other.Open(sealed, "connector:c1") },
		"a tampered value": func() ([]byte, error) { return s.Open(tampered, "connector:c1") },
		"another version":  func() ([]byte, error) { return s.Open(wrongVersion, "connector:c1") },
		"a short value":    func() ([]byte, error) { return s.Open(sealed[:10], "connector:c1") },
		"nothing":          func() ([]byte, error) { return s.Open(nil, "connector:c1") },
	} {
		if _, err := open(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
}

func TestNewRefusesShortKeys(t *testing.T) {
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}
