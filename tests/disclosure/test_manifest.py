"""MANIFEST.json, its signature, the zip, and verification of folders and zips."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paidfor.disclosure.index_html import render_html
from paidfor.disclosure.index_pdf import render_pdf
from paidfor.disclosure.manifest import (
    FORMAT,
    MANIFEST,
    SIGNATURE,
    NotAPackage,
    canonical_json,
    verify,
    write_manifest,
    zip_folder,
)

from .conftest import META, make_package

FILES = {
    "ads.jsonl": b'{"id": 1, "text": "Join us because we care. Black matters."}\n',
    "ads.csv": b"id,text\n1,Join us because we care. Black matters.\n",
    "creatives/abc123.png": bytes(range(256)),
    "evidence/case-1.json": '{"note": "Привет"}\n'.encode(),
    "empty.txt": b"",
}


def _flip(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_manifest_lists_every_file_and_is_signed(tmp_path: Path, signing_key) -> None:
    folder = tmp_path / "disclosure-7"
    make_package(folder, signing_key, FILES)
    body = (folder / MANIFEST).read_bytes()
    manifest = json.loads(body)
    assert manifest["format"] == FORMAT
    assert manifest["disclosure"] == {"id": 7} and manifest["approved_by"] == "admin:ada"
    assert [f["path"] for f in manifest["files"]] == sorted(FILES)
    for entry in manifest["files"]:
        data = FILES[entry["path"]]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
    # canonical: sorted keys, UTF-8, two-space indent, final newline
    assert body == canonical_json(manifest) and body.endswith(b"}\n")
    assert "Привет" not in body.decode()  # file contents are hashed, not copied
    raw = signing_key.public_key().public_bytes_raw()
    assert base64.b64decode(manifest["public_key"]) == raw
    sig = base64.b64decode((folder / SIGNATURE).read_bytes())
    signing_key.public_key().verify(sig, body)  # raises if it does not hold


def test_write_manifest_refuses_info_that_would_shadow_its_own_keys(tmp_path, signing_key):
    (tmp_path / "a").write_text("x")
    with pytest.raises(ValueError, match="files"):
        write_manifest(tmp_path, {"files": []}, signing_key)
    assert not (tmp_path / MANIFEST).exists()


def test_round_trip_folder_and_zip(tmp_path: Path, signing_key) -> None:
    folder = make_package(tmp_path / "disclosure-7", signing_key, FILES)
    report = verify(folder)
    assert report.ok and report.signature_ok and not report.problems
    assert report.files_checked == len(FILES)
    assert not report.trusted_key
    assert any("not checked against a trusted key" in n for n in report.notes)
    trusted = verify(folder, signing_key.public_key())
    assert trusted.ok and trusted.trusted_key and not trusted.notes

    zipped = zip_folder(folder)
    assert zipped == tmp_path / "disclosure-7.zip" and folder.is_dir()
    with zipfile.ZipFile(zipped) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
    assert names == sorted(names)
    assert all(n.startswith("disclosure-7/") for n in names)
    assert verify(zipped, signing_key.public_key()).ok
    report = json.loads(verify(zipped).as_json())
    assert report["ok"] is True and report["info"]["disclosure"] == {"id": 7}


def test_zip_is_deterministic_and_atomic(tmp_path: Path, signing_key) -> None:
    folder = make_package(tmp_path / "pkg", signing_key, FILES)
    first = zip_folder(folder, tmp_path / "one.zip").read_bytes()
    (folder / "ads.csv").touch()  # a new mtime changes nothing
    second = zip_folder(folder, tmp_path / "two.zip").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "one.zip") as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.zip", "pkg", "two.zip"]
    with pytest.raises(ValueError, match="inside the folder"):
        zip_folder(folder, folder / "self.zip")


def _package_with_pdf(tmp_path: Path, key: Ed25519PrivateKey, ads) -> Path:
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "ads.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ads))
    (folder / "index.html").write_text(render_html(ads, META))
    render_pdf(ads, META, folder / "index.pdf")
    (folder / "creatives").mkdir()
    (folder / "creatives" / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    write_manifest(folder, {"request": META}, key)
    return folder


def test_flipping_one_byte_of_any_file_fails_naming_it(tmp_path, signing_key, ira_ads) -> None:
    """Every file of the package, MANIFEST.json, its signature and index.pdf included: a byte
    changed at its start, middle or end makes verify fail and name that file."""
    folder = _package_with_pdf(tmp_path, signing_key, ira_ads(5))
    assert verify(folder, signing_key.public_key()).ok
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {MANIFEST, SIGNATURE, "index.pdf", "index.html"}
    for path in files:
        rel = path.relative_to(folder).as_posix()
        size = path.stat().st_size
        for offset in sorted({0, size // 2, size - 1}):
            for mask in (0x01, 0x80):
                original = path.read_bytes()
                _flip(path, offset, mask)
                try:
                    for key in (None, signing_key.public_key()):
                        report = verify(folder, key)
                        where = f"{rel} byte {offset} ^ {mask:#x}"
                        assert not report.ok, where
                        assert rel in report.changed, (where, report.problems)
                        assert not report.added and not report.removed, where
                        if rel not in (MANIFEST, SIGNATURE):
                            assert report.signature_ok and report.changed == [rel], where
                finally:
                    path.write_bytes(original)
    assert verify(folder, signing_key.public_key()).ok


def test_a_flipped_byte_inside_the_zip_is_named(tmp_path, signing_key) -> None:
    folder = make_package(tmp_path / "pkg", signing_key, FILES)
    for rel in [*FILES, MANIFEST, SIGNATURE]:
        if not (folder / rel).stat().st_size:
            continue
        work = _copy(folder, tmp_path / "work" / "pkg")
        _flip(work / rel, (work / rel).stat().st_size // 2)
        report = verify(zip_folder(work), signing_key.public_key())
        assert not report.ok and rel in report.changed, rel
        import shutil

        shutil.rmtree(tmp_path / "work")


def test_added_and_removed_files_are_named(tmp_path: Path, signing_key) -> None:
    folder = make_package(tmp_path / "pkg", signing_key, FILES)
    (folder / "creatives" / "abc123.png").unlink()
    (folder / "evidence" / "case-1.json").unlink()
    (folder / "notes.txt").write_text("slipped in")
    (folder / "creatives" / "extra.png").write_bytes(b"x")
    for target in (folder, zip_folder(folder)):
        report = verify(target, signing_key.public_key())
        assert not report.ok and report.signature_ok
        assert report.removed == ["creatives/abc123.png", "evidence/case-1.json"]
        assert report.added == ["creatives/extra.png", "notes.txt"]
        assert report.changed == []
        assert "1 changed" not in report.verdict and "2 added" in report.verdict


def test_missing_manifest_or_signature(tmp_path: Path, signing_key) -> None:
    folder = make_package(tmp_path / "pkg", signing_key, FILES)
    (folder / SIGNATURE).unlink()
    report = verify(folder)
    assert not report.ok and not report.signature_ok and report.removed == [SIGNATURE]
    make_package(folder, signing_key, {})
    (folder / MANIFEST).unlink()
    report = verify(folder)
    assert not report.ok and report.removed == [MANIFEST]
    (folder / SIGNATURE).unlink()
    with pytest.raises(NotAPackage, match=r"no MANIFEST\.json"):
        verify(folder)


def test_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(NotAPackage, match="does not exist"):
        verify(tmp_path / "nothing")
    (tmp_path / "plain.txt").write_text("hello")
    with pytest.raises(NotAPackage, match="not a readable zip"):
        verify(tmp_path / "plain.txt")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("top/readme.txt", "hi")
    with pytest.raises(NotAPackage, match=r"no MANIFEST\.json"):
        verify(tmp_path / "other.zip")


def test_another_trusted_key_fails(tmp_path: Path, signing_key) -> None:
    folder = make_package(tmp_path / "pkg", signing_key, FILES)
    other = Ed25519PrivateKey.generate().public_key()
    for target in (folder, zip_folder(folder)):
        report = verify(target, other)
        assert not report.ok and not report.signature_ok and report.trusted_key
        assert any("another key than the trusted one" in p for p in report.problems)
        assert report.changed == []  # nothing was altered: it is just not the trusted signer


def test_a_resigned_package_passes_only_without_a_trusted_key(tmp_path, signing_key) -> None:
    """Someone who changes a file and signs again with their own key makes a package that is
    intact (the embedded key) but not the sender's (the trusted key)."""
    folder = make_package(tmp_path / "pkg", signing_key, FILES)
    (folder / "ads.csv").write_bytes(b"id,text\n1,forged\n")
    write_manifest(folder, {"disclosure": {"id": 7}}, Ed25519PrivateKey.generate())
    assert verify(folder).ok
    assert not verify(folder, signing_key.public_key()).ok


def _zip_with(tmp_path: Path, signing_key, extra: list[tuple[str, bytes]]) -> Path:
    folder = make_package(tmp_path / "pkg", signing_key, FILES)
    zipped = zip_folder(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate, on purpose
        with zipfile.ZipFile(zipped, "a") as zf:
            for name, data in extra:
                zf.writestr(zipfile.ZipInfo(name), data)
    return zipped


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("pkg/../../evil.sh", "'..'"),
        ("../evil.sh", "outside the package"),
        ("/etc/cron.d/evil", "outside the package"),
        ("pkg//etc/passwd", "an absolute path"),
        ("pkg/./x", "empty or '.'"),
        ("pkg/..\\..\\evil.bat", "backslash"),
        ("pkg/C:/evil", "an absolute path"),  # a Windows drive
        ("C:/Windows/evil", "outside the package"),
    ],
)
def test_zip_slip_entries_are_refused(tmp_path, signing_key, entry, reason) -> None:
    zipped = _zip_with(tmp_path, signing_key, [(entry, b"#!/bin/sh\nrm -rf ~\n")])
    before = sorted(p for p in tmp_path.rglob("*"))
    report = verify(zipped, signing_key.public_key())
    assert not report.ok and report.signature_ok
    assert len(report.refused) == 1 and report.refused[0] in (entry, entry.removeprefix("pkg/"))
    assert any(reason in p for p in report.problems), report.problems
    assert "1 refused" in report.verdict
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing was extracted


def test_a_duplicated_zip_entry_is_refused(tmp_path: Path, signing_key) -> None:
    zipped = _zip_with(tmp_path, signing_key, [("pkg/ads.csv", b"id,text\n1,forged\n")])
    report = verify(zipped, signing_key.public_key())
    assert not report.ok
    assert report.refused == ["ads.csv"]
    assert any("2 entries under this one name" in p for p in report.problems)
    # a duplicate manifest is refused too, not read
    zipped.unlink()
    import shutil

    shutil.rmtree(tmp_path / "pkg")
    zipped = _zip_with(tmp_path, signing_key, [("pkg/MANIFEST.json", b"{}")])
    report = verify(zipped, signing_key.public_key())
    assert not report.ok and MANIFEST in report.refused and not report.signature_ok


def test_a_manifest_naming_paths_outside_the_package_is_not_followed(tmp_path) -> None:
    """A package signed by anyone (its embedded key) cannot make verify read outside it."""
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    folder = tmp_path / "pkg"
    folder.mkdir()
    key = Ed25519PrivateKey.generate()
    manifest = {
        "format": FORMAT,
        "files": [
            {
                "path": "../secret.txt",
                "sha256": hashlib.sha256(b"outside").hexdigest(),
                "bytes": 7,
            }
        ],
        "public_key": base64.b64encode(key.public_key().public_bytes_raw()).decode(),
    }
    body = canonical_json(manifest)
    (folder / MANIFEST).write_bytes(body)
    (folder / SIGNATURE).write_bytes(base64.b64encode(key.sign(body)) + b"\n")
    report = verify(folder)
    assert report.signature_ok and not report.ok and report.files_checked == 0
    assert any("'..'" in p and "not read" in p for p in report.problems)


def test_symbolic_links_are_refused(tmp_path: Path, signing_key) -> None:
    folder = make_package(tmp_path / "pkg", signing_key, FILES)
    (tmp_path / "outside.txt").write_text("x")
    (folder / "link.txt").symlink_to(tmp_path / "outside.txt")
    report = verify(folder)
    assert not report.ok and report.refused == ["link.txt"]
    with pytest.raises(ValueError, match="symbolic link"):
        write_manifest(folder, {}, signing_key)
    with pytest.raises(ValueError, match="symbolic link"):
        zip_folder(folder)


@pytest.mark.parametrize(("name", "why"), [("a\\b.txt", "backslash"), ("C:", "absolute")])
def test_names_unsafe_on_other_systems_are_refused(tmp_path, signing_key, name, why) -> None:
    (tmp_path / name).write_text("x")
    with pytest.raises(ValueError, match=why):
        write_manifest(tmp_path, {}, signing_key)
    with pytest.raises(ValueError, match=why):
        zip_folder(tmp_path, tmp_path.parent / "out.zip")


# --- properties ---------------------------------------------------------------------------

_component = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",), blacklist_characters="/\\\x00", min_codepoint=1
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in (".", "..") and len(s.encode()) < 100)
# a first component like "C:" is a Windows drive: write_manifest refuses it (see below)
_paths = (
    st.lists(_component, min_size=1, max_size=3)
    .map("/".join)
    .filter(lambda p: not re.match(r"^[A-Za-z]:", p))
)


def _no_prefix_clash(names: list[str]) -> bool:
    taken = set(names)
    return not any(
        "/".join(n.split("/")[:i]) in taken for n in names for i in range(1, n.count("/") + 1)
    ) and not (taken & {MANIFEST, SIGNATURE})


_files = st.dictionaries(_paths, st.binary(max_size=64), min_size=1, max_size=6).filter(
    lambda d: _no_prefix_clash(list(d))
)
_KEY = Ed25519PrivateKey.generate()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=_files)
def test_any_set_of_files_round_trips(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_package(Path(tmp) / "pkg", _KEY, files)
        manifest = json.loads((folder / MANIFEST).read_bytes())
        assert sorted(f["path"] for f in manifest["files"]) == sorted(files)
        for target in (folder, zip_folder(folder)):
            report = verify(target, _KEY.public_key())
            assert report.ok, report.problems
            assert report.files_checked == len(files)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=_files, data=st.data())
def test_any_single_byte_change_is_caught(files: dict[str, bytes], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_package(Path(tmp) / "pkg", _KEY, files)
        candidates = sorted(p for p in folder.rglob("*") if p.is_file() and p.stat().st_size)
        path = data.draw(st.sampled_from(candidates))
        offset = data.draw(st.integers(0, path.stat().st_size - 1))
        mask = data.draw(st.integers(1, 255))
        _flip(path, offset, mask)
        rel = path.relative_to(folder).as_posix()
        for key in (None, _KEY.public_key()):
            report = verify(folder, key)
            assert not report.ok
            assert rel in report.changed, (rel, report.problems)
