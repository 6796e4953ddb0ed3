"""The signing key: made 0600, never overwritten, loaded with clear errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from paidfor.disclosure.keys import DisclosureKeyError, generate, load_private, load_public


def test_generate_writes_a_private_key_only_its_owner_reads(tmp_path: Path) -> None:
    private, public = generate(tmp_path / "keys" / "signing.pem")
    assert private == tmp_path / "keys" / "signing.pem"
    assert public == tmp_path / "keys" / "signing.pem.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    key, pub = load_private(private), load_public(public)
    assert isinstance(key, Ed25519PrivateKey) and isinstance(pub, Ed25519PublicKey)
    pub.verify(key.sign(b"ads"), b"ads")  # the pair belongs together
    # the public half can also be read from the private file
    assert load_public(private).public_bytes_raw() == pub.public_bytes_raw()


def test_generate_is_not_loosened_by_a_permissive_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        private, _ = generate(tmp_path / "k.pem")
    finally:
        os.umask(old)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_generate_never_overwrites(tmp_path: Path) -> None:
    private, public = generate(tmp_path / "k.pem")
    before = private.read_bytes(), public.read_bytes()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        generate(tmp_path / "k.pem")
    assert (private.read_bytes(), public.read_bytes()) == before
    # a stray public key alone also stops it: the pair would not match
    (tmp_path / "other.pem.pub").write_text("old")
    with pytest.raises(FileExistsError):
        generate(tmp_path / "other.pem")
    assert not (tmp_path / "other.pem").exists()


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_load_errors_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(DisclosureKeyError, match="no private key file"):
        load_private(tmp_path / "missing.pem")
    with pytest.raises(DisclosureKeyError, match="no public key file"):
        load_public(tmp_path / "missing.pub")
    with pytest.raises(DisclosureKeyError, match="not a file"):
        load_private(tmp_path)
    junk = tmp_path / "junk.pem"
    junk.write_text("hello, not a key\n")
    with pytest.raises(DisclosureKeyError, match="not a private key in PEM"):
        load_private(junk)
    with pytest.raises(DisclosureKeyError, match="not a public key in PEM"):
        load_public(junk)
    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(_pem(rsa.generate_private_key(65537, 2048)))
    with pytest.raises(DisclosureKeyError, match="RSA key, not an Ed25519 private key"):
        load_private(rsa_key)
    with pytest.raises(DisclosureKeyError, match="RSA key, not an Ed25519 public key"):
        load_public(rsa_key)
    ec_key = tmp_path / "ec.pem"
    ec_key.write_bytes(_pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(DisclosureKeyError, match="an EC key"):
        load_private(ec_key)
    _, public = generate(tmp_path / "k.pem")
    with pytest.raises(DisclosureKeyError, match="not a private key"):
        load_private(public)
    locked = tmp_path / "locked.pem"
    locked.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(DisclosureKeyError, match="password-protected"):
        load_private(locked)
