package encryption

import (
	"errors"
	"strings"
	"testing"
)

func TestRoundTripAndFailures(t *testing.T) {
	k, err := NewKey("a long and random secret value")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := k.Encrypt(`{"token":"s3cret"}`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(enc, "s3cret") {
		t.Fatal("ciphertext contains the plaintext")
	}
	if got, err := k.Decrypt(enc); err != nil || got != `{"token":"s3cret"}` {
		t.Fatalf("round trip: %q %v", got, err)
	}
	if got, _ := k.Decrypt("plain"); got != "plain" {
		t.Fatalf("plain values must pass through, got %q", got)
	}
	var none *Key
	if _, err := none.Decrypt(enc); !errors.Is(err, ErrNoKey) {
		t.Fatalf("decrypting without key: %v", err)
	}
	other, _ := NewKey("a different long secret value")
	if _, err := other.Decrypt(enc); err == nil {
		t.Fatal("wrong key decrypted the value")
	}
	if _, err := NewKey("short"); err == nil {
		t.Fatal("short key accepted")
	}
	if k2, _ := NewKey(""); k2 != nil {
		t.Fatal("empty secret must mean no encryption")
	}
}
