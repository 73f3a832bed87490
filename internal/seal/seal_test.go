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

func TestRotationKeepsOldValuesOpenAndResealsThem(t *testing.T) {
	old, err := New(key(1))
	if err != nil {
		t.Fatal(err)
	}
	sealedOld, err := old.Seal([]byte("seed"), "totp:u1")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := New(key(2), key(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(sealedOld, "totp:u1"); err != nil || string(got) != "seed" {
		t.Fatalf("the rotated sealer does not open a value of the previous key: %q, %v", got, err)
	}
	if _, err := rotated.Open(sealedOld, "totp:u2"); !errors.Is(err, ErrOpen) {
		t.Fatalf("a previous key opens a value bound to another context: %v", err)
	}

	resealed, changed, err := rotated.Reseal(sealedOld, "totp:u1")
	if err != nil || !changed {
		t.Fatalf("Reseal of an old value = changed %v, %v", changed, err)
	}
	newOnly, err := New(key(2))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := newOnly.Open(resealed, "totp:u1"); err != nil || string(got) != "seed" {
		t.Fatalf("the re-sealed value does not open under the new key alone: %q, %v", got, err)
	}
	if _, err := old.Open(resealed, "totp:u1"); !errors.Is(err, ErrOpen) {
		t.Fatalf("the old key still opens the re-sealed value: %v", err)
	}

	again, changed, err := rotated.Reseal(resealed, "totp:u1")
	if err != nil || changed || !bytes.Equal(again, resealed) {
		t.Fatalf("Reseal of a value under the primary key = changed %v, same %v, %v", changed, bytes.Equal(again, resealed), err)
	}
	if _, _, err := newOnly.Reseal(sealedOld, "totp:u1"); !errors.Is(err, ErrOpen) {
		t.Fatalf("Reseal without the old key = %v, want ErrOpen", err)
	}
}

func TestNewRefusesAShortPreviousKey(t *testing.T) {
	if _, err := New(key(1), []byte("short")); err == nil {
		t.Fatal("New accepted a previous key of 5 bytes")
	}
}
