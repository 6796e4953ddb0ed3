"""The Ed25519 key that signs disclosure packages.

The private key is a PEM file (PKCS#8, unencrypted) kept outside the database, readable by its
owner only (mode 0600); its path is ``PAIDFOR_DISCLOSURE_KEY``. The public key is a PEM file
beside it (``<path>.pub``), the one to hand to recipients.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from paidfor import errors

DEFAULT_KEY_PATH = Path("~/.paidfor/disclosure_ed25519.pem")


class DisclosureKeyError(errors.Invalid):
    """A key file that is missing, unreadable, not a key, or not an Ed25519 key."""


class KeyExists(errors.Conflict, FileExistsError):
    """A key (or its public half) is there already: a key is never overwritten."""


def public_path_of(path: Path) -> Path:
    """Where the public key of the private key at ``path`` lives: ``<path>.pub``."""
    return path.with_name(path.name + ".pub")


def generate(path: Path | str) -> tuple[Path, Path]:
    """Make a new Ed25519 key pair: the private key at ``path`` (PEM, PKCS#8, no password,
    mode 0600) and the public key at ``<path>.pub``. Refuses to overwrite either file."""
    private_path = Path(path).expanduser()
    public_path = public_path_of(private_path)
    for existing in (private_path, public_path):
        if existing.exists() or existing.is_symlink():
            raise KeyExists(f"{existing} already exists; refusing to overwrite a key")
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # O_EXCL: never overwrite, even if the file appeared since the check above; 0600 from
    # the start, so the key is never readable by others, not even for an instant.
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:  # made since the check above
        raise KeyExists(f"{private_path} already exists; refusing to overwrite a key") from exc
    try:
        os.fchmod(fd, 0o600)  # the umask cannot widen it, but make it exact
        os.write(fd, private_pem)
    finally:
        os.close(fd)
    try:
        fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError as exc:
        private_path.unlink()
        raise KeyExists(f"{public_path} already exists; refusing to overwrite a key") from exc
    try:
        os.write(fd, public_pem)
    finally:
        os.close(fd)
    return private_path, public_path


def _read(path: Path | str, what: str) -> tuple[Path, bytes]:
    p = Path(path).expanduser()
    if not p.exists():
        raise DisclosureKeyError(f"no {what} key file at {p}")
    if not p.is_file():
        raise DisclosureKeyError(f"{p} is not a file (expected a {what} key in PEM)")
    try:
        return p, p.read_bytes()
    except OSError as exc:
        raise DisclosureKeyError(f"cannot read the {what} key {p}: {exc.strerror}") from exc


def load_private(path: Path | str) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file at ``path``."""
    p, data = _read(path, "private")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:  # an encrypted key
        msg = f"{p} is password-protected; paidfor needs it unencrypted"
        raise DisclosureKeyError(msg) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise DisclosureKeyError(f"{p} is not a private key in PEM format") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise DisclosureKeyError(f"{p} holds {_kind(key)} key, not an Ed25519 private key")
    return key


def load_public(path: Path | str) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file at ``path``. A private key file is accepted too
    (its public half is used)."""
    p, data = _read(path, "public")
    try:
        key: object = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (TypeError, ValueError, UnsupportedAlgorithm) as exc:
            raise DisclosureKeyError(f"{p} is not a public key in PEM format") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise DisclosureKeyError(f"{p} holds {_kind(key)} key, not an Ed25519 public key")
    return key


def _kind(key: object) -> str:
    """``an RSA``, ``an EC``, ``a DSA``: the algorithm of a key, for messages."""
    name = type(key).__name__.lstrip("_")
    for suffix in ("PrivateKey", "PublicKey"):
        name = name.removesuffix(suffix)
    name = name or "another"
    return f"an {name}" if name[0] in "AEIOUFHLMNRSX" else f"a {name}"


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of ``key`` (what MANIFEST.json embeds, base64-encoded)."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
