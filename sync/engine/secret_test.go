package engine_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/roster/roster/sync/engine"
)

func TestSealedSecretsOpenOnlyForTheirConnectorAndKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	s, err := engine.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("conn-1", []byte("bind-password"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("bind-password")) {
		t.Fatal("the sealed secret holds the plaintext")
	}
	if got, err := s.Open("conn-1", sealed); err != nil || string(got) != "bind-password" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := engine.NewSealer(bytes.Repeat([]byte{8}, 32))
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another connector": func() ([]byte, error) { return s.Open("conn-2", sealed) },
		"another key":       func() ([]byte, error) { return other.Open("conn-1", sealed) },
		"tampered":          func() ([]byte, error) { return s.Open("conn-1", tampered) },
		"truncated":         func() ([]byte, error) { return s.Open("conn-1", sealed[:5]) },
	} {
		if _, err := open(); !errors.Is(err, engine.ErrSealed) {
			t.Errorf("%s: err = %v, want ErrSealed", name, err)
		}
	}
	again, _ := s.Seal("conn-1", []byte("bind-password"))
	if bytes.Equal(again, sealed) {
		t.Error("two seals of one secret are identical: the nonce is not fresh")
	}
	if _, err := engine.NewSealer([]byte("short")); err == nil {
		t.Error("a 5-byte key was accepted")
	}
}
