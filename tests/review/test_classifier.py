"""The political-ad classifier: the shipped artifact, evaluation, bad input, reproducibility,
safe loading and the CLI."""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from typer.testing import CliRunner

from paidfor.interfaces.cli.model import model_app
from paidfor.review import classifier
from paidfor.review.classifier import (
    DEFAULT_MODEL,
    PoliticalClassifier,
    UntrustedModelError,
    load,
    normalize_text,
    read_labelled_csv,
)
from paidfor.review.training import save, train

from conftest import DATA

TRAIN_CSV = DATA / "political_ads" / "train.csv"
runner = CliRunner()

# Written for these tests (none is in train.csv): ordinary punctuation, as ads come from
# other platforms.
POLITICAL = [
    "Vote for Dana Whitfield for State Assembly on November 3rd. She'll fight for our schools!",
    "Paid for by Committee to Re-elect Mayor Okafor. Four more years of safer streets.",
    "Early voting ends Saturday. Find your polling place and make your voice heard.",
    "Tell your senator: vote NO on the bill that would gut protections for clean water.",
    "Our campaign takes no corporate PAC money. Chip in $10 before the FEC deadline!",
    "Sign the petition to stop the governor's cuts to public-school funding.",
    "Congress must protect Medicare and Social Security. Add your name if you agree.",
    "Join Senator Alvarez for a town hall on health care, Thursday at 6pm.",
    "Register to vote by October 9 so you can vote in the election.",
    "Republicans in the legislature blocked the minimum-wage increase. Remember in November.",
    "Yes on Measure B: fund affordable housing and end homelessness in our city.",
    "Immigrants strengthen our country. Urge Congress to pass a path to citizenship.",
]
COMMERCIAL = [
    "Our new trail-running shoes are 30% off this weekend. Free shipping over $50!",
    "Fresh meal kits delivered to your door. Get 4 free meals with code TASTY4.",
    "The softest cotton sheets you'll ever sleep on. Order today!",
    "Crispy fries without the oil: our air fryer is back in stock. Buy now.",
    "All-inclusive beach resorts from $699 per person. Book your getaway.",
    "New arrivals: chunky knit cardigans in 10 colours. Shop the collection.",
    "Learn Italian in 10 minutes a day. Start your free trial of the app.",
    "Glowing skin starts here: vitamin C serum, dermatologist tested.",
    "Noise-cancelling headphones at half price while supplies last.",
    "Stream thousands of films and series. First month free, cancel anytime.",
    "Large two-topping pizza for $8.99 when you order online tonight.",
    "Subscribe to our freshly roasted coffee beans and save 15% on every bag.",
]


@cache
def shipped() -> PoliticalClassifier:
    """The shipped model, loaded once for the whole module."""
    return load()


def write_csv(path: Path, rows: list[tuple[object, str]], header: tuple[str, ...]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def heldout_csv(tmp_path: Path) -> Path:
    rows = [(1, t) for t in POLITICAL] + [(0, t) for t in COMMERCIAL]
    return write_csv(tmp_path / "heldout.csv", rows, ("label", "text"))


@pytest.fixture(scope="module")
def sample_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stratified 300-row sample of the shared training file (fixed seed)."""
    texts, labels = read_labelled_csv(TRAIN_CSV)
    rng = random.Random(7)
    rows: list[tuple[object, str]] = []
    for label in (0, 1):
        picked = [i for i, y in enumerate(labels) if y == label]
        rows += [(label, texts[i]) for i in rng.sample(picked, 150)]
    path = tmp_path_factory.mktemp("sample") / "sample.csv"
    return write_csv(path, rows, ("label", "text"))


# --- the shipped artifact ------------------------------------------------------------------


def test_shipped_artifact_and_sidecar() -> None:
    sidecar = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text("utf-8"))
    assert DEFAULT_MODEL.stat().st_size < 20_000_000
    assert sidecar["version"] == "political-v1"
    assert sidecar["n_rows"] > 10_000
    assert sidecar["threshold"] == 0.5
    for key in ("precision", "recall", "f1"):
        assert 0.85 < sidecar["cv"][key]["mean"] <= 1 and 0 <= sidecar["cv"][key]["std"] < 0.05
    assert set(sidecar["trusted_types"]) <= classifier.ALLOWED_TYPES
    assert sidecar["sklearn_version"] and sidecar["created"]
    if TRAIN_CSV.is_file():  # the artifact was trained on the shared file as it is now
        assert sidecar["training_file_sha256"] == classifier.file_sha256(TRAIN_CSV)


@pytest.mark.parametrize("text", POLITICAL)
def test_shipped_model_finds_political_ads(text: str) -> None:
    political, score, reason = shipped().classify(text)
    assert political, (score, reason)
    assert score >= 0.5
    assert reason.startswith(f"political score {score:.2f} >= threshold 0.50; strongest terms: ")


@pytest.mark.parametrize("text", COMMERCIAL)
def test_shipped_model_passes_commercial_ads(text: str) -> None:
    political, score, reason = shipped().classify(text)
    assert not political, (score, reason)
    assert reason.startswith(f"political score {score:.2f} < threshold 0.50")


def test_reason_names_the_words_that_decided() -> None:
    _, _, reason = shipped().classify("Vote for Senator Reyes on Election Day!")
    terms = reason.split("strongest terms: ")[1].split(", ")
    assert 1 <= len(terms) <= 3
    assert all(term in "vote for senator reyes on election day" for term in terms)
    assert any(word in term for term in terms for word in ("vote", "senator", "election"))


def test_punctuation_does_not_decide() -> None:
    """The training file's political ads lack punctuation; the model must not learn that."""
    clf = shipped()
    plain = "Vote for Dana Whitfield for State Assembly"
    assert normalize_text(plain + "!!! …") == normalize_text(plain)
    assert clf.score(plain + "!!! …") == pytest.approx(clf.score(plain))
    assert normalize_text("We’re #1 at https://shop.example.com/x?y=1") == "were 0 at urltoken"
    assert normalize_text("Were 1 at httpshopexamplecomx") == "were 0 at urltoken"
    assert normalize_text("I'm voting—for Café Ünion, e-mail me@x.org") == (
        "im voting for cafe union e mail emailtoken"
    )


def test_evaluate_on_a_heldout_csv(tmp_path: Path) -> None:
    result = classifier.evaluate(heldout_csv(tmp_path), shipped())
    assert set(result) == {"precision", "recall", "f1", "n"}
    assert result["n"] == len(POLITICAL) + len(COMMERCIAL)
    assert result["precision"] >= 0.9 and result["recall"] >= 0.9 and result["f1"] >= 0.9
    texts, labels = read_labelled_csv(heldout_csv(tmp_path))
    assert shipped().evaluate_rows(texts, labels) == result
    mislabelled = shipped().evaluate_rows(COMMERCIAL, [1] * len(COMMERCIAL))
    assert mislabelled == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "n": len(COMMERCIAL)}


# --- properties ----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000))
@example("")
@example("   \n\t ")
@example("🗳️🇺🇸✊" * 50)
@example("Голосуйте за кандидата! 投票してください。 ¡Vota el domingo! \x00\ud7ff\U0010ffff")
@example("vote " * 200_000)  # a megabyte
@example("https://" + "a" * 50_000)
def test_classify_never_raises(text: str) -> None:
    clf = shipped()
    political, score, reason = clf.classify(text)
    assert isinstance(political, bool) and isinstance(reason, str) and reason
    assert 0.0 <= score <= 1.0
    assert political == (score >= clf.threshold)


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("label,body\n1,vote\n", "lacks the column(s) text"),
        ("kind,text\n1,vote\n", "lacks the column(s) label"),
        ("label,text\n1,vote\n2,shoes\n", ":3: the label must be 0 (commercial) or 1"),
        ("label,text\npolitical,vote\n", "not 'political'"),
        ("label,text\n,vote\n", "not ''"),
        ("", "is empty"),
        ("label,text\n", "no rows"),
    ],
)
def test_bad_csv_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, "utf-8")
    with pytest.raises(ValueError, match="^" + re.escape(str(path))) as info:
        read_labelled_csv(path)
    assert message in str(info.value)
    with pytest.raises(ValueError):
        classifier.evaluate(path, shipped())
    r = runner.invoke(model_app, ["evaluate", str(path), "--json"])
    assert r.exit_code == 2
    assert message in " ".join(r.stderr.split()) and r.stdout == ""


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("label,text\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="is not UTF-8"):
        read_labelled_csv(path)


def test_training_needs_both_labels(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "one.csv", [(1, t) for t in POLITICAL], ("label", "text"))
    with pytest.raises(ValueError, match="at least 5 rows of each label"):
        train(path)
    with pytest.raises(ValueError, match="unknown candidate"):
        train(heldout_csv(tmp_path), candidates=["nope"])


# --- reproducibility and saving --------------------------------------------------------------


def test_training_is_reproducible(sample_csv: Path, tmp_path: Path) -> None:
    first, report = train(sample_csv, candidates=["word-lr", "word-char-lr-nb"], folds=3)
    second, again = train(sample_csv, candidates=["word-lr", "word-char-lr-nb"], folds=3)
    assert report.candidates[0].f1 == again.candidates[0].f1
    assert report.chosen == again.chosen
    probe = np.asarray(POLITICAL + COMMERCIAL, dtype=object)
    np.testing.assert_array_equal(first.predict_proba(probe), second.predict_proba(probe))

    meta = report.metadata()
    assert meta["n_rows"] == 300 and meta["n_political"] == 150 and meta["cv_folds"] == 3
    assert [c["name"] for c in meta["candidates"]] == ["word-lr", "word-char-lr-nb"]
    json_path = save(first, tmp_path / "m" / "political-v1.skops", meta)
    sidecar = json.loads(json_path.read_text("utf-8"))
    assert sidecar["training_file_sha256"] == classifier.file_sha256(sample_csv)
    loaded = load(tmp_path / "m" / "political-v1.skops")
    np.testing.assert_allclose(
        [loaded.score(t) for t in probe], first.predict_proba(probe)[:, 1], rtol=0, atol=1e-12
    )


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small saved model (trained on the hand-written examples, one fold set)."""
    folder = tmp_path_factory.mktemp("tiny")
    rows = [(1, t) for t in POLITICAL] + [(0, t) for t in COMMERCIAL]
    data = write_csv(folder / "tiny.csv", rows, ("label", "text"))
    pipeline, report = train(data, candidates=["word-char-lr-nb"], folds=5)
    save(pipeline, folder / "political-v1.skops", report.metadata())
    return folder / "political-v1.skops"


def _copy_model(src: Path, folder: Path) -> Path:
    folder.mkdir()
    target = folder / src.name
    shutil.copy(src, target)
    shutil.copy(src.with_suffix(".json"), target.with_suffix(".json"))
    return target


def test_loader_refuses_an_untrusted_type(tiny_model: Path, tmp_path: Path) -> None:
    pipeline = load(tiny_model).pipeline
    evil = Pipeline([("run", FunctionTransformer(eval)), *pipeline.steps])
    target = _copy_model(tiny_model, tmp_path / "evil")
    sio.dump(evil, target)  # the sidecar stays the honest one
    assert "builtins.eval" in sio.get_untrusted_types(file=target)
    with pytest.raises(UntrustedModelError, match=r"builtins\.eval.*refusing to load"):
        load(target)

    # Listing the type in the sidecar does not help: the loader's own allow-list decides.
    sidecar_path = target.with_suffix(".json")
    sidecar = json.loads(sidecar_path.read_text("utf-8"))
    sidecar["trusted_types"].append("builtins.eval")
    sidecar_path.write_text(json.dumps(sidecar), "utf-8")
    with pytest.raises(UntrustedModelError, match=r"builtins\.eval"):
        load(target)

    # And saving such a model is refused up front.
    with pytest.raises(UntrustedModelError, match=r"builtins\.eval"):
        save(evil, tmp_path / "refused" / "m.skops", {})
    assert not (tmp_path / "refused" / "m.skops").exists()


def test_loader_refuses_types_the_sidecar_does_not_list(tiny_model: Path, tmp_path: Path) -> None:
    target = _copy_model(tiny_model, tmp_path / "m")
    sidecar_path = target.with_suffix(".json")
    sidecar = json.loads(sidecar_path.read_text("utf-8"))
    assert sidecar["trusted_types"], "the soft vote needs at least one non-default type"
    sidecar["trusted_types"] = []
    sidecar_path.write_text(json.dumps(sidecar), "utf-8")
    with pytest.raises(UntrustedModelError, match="not trusted"):
        load(target)


def test_loader_refuses_broken_or_missing_files(tiny_model: Path, tmp_path: Path) -> None:
    target = _copy_model(tiny_model, tmp_path / "m")
    target.write_bytes(b"not a zip")
    with pytest.raises(UntrustedModelError, match="not a readable skops file"):
        load(target)
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("schema.json", "{}")
    with pytest.raises(UntrustedModelError):
        load(target)
    target.with_suffix(".json").unlink()
    with pytest.raises(FileNotFoundError, match="sidecar"):
        load(target)
    with pytest.raises(FileNotFoundError, match="no model file"):
        load(tmp_path / "nothing.skops")


# --- the CLI -------------------------------------------------------------------------------


def test_cli_evaluate_json_and_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = heldout_csv(tmp_path)
    r = runner.invoke(model_app, ["evaluate", str(path), "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert list(result) == ["precision", "recall", "f1", "n"]
    assert result["n"] == 24 and result["f1"] >= 0.9
    assert all(round(result[k], 4) == result[k] for k in ("precision", "recall", "f1"))
    assert r.stdout.count("\n") == 1

    monkeypatch.setattr(classifier, "load", lambda path=None: shipped())  # spare a second load
    r = runner.invoke(model_app, ["evaluate", str(path)])
    assert r.exit_code == 0, r.output
    assert "precision" in r.stdout and "24" in r.stdout


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    r = runner.invoke(model_app, ["evaluate", str(tmp_path / "no.csv"), "--json"])
    assert r.exit_code == 2 and "no such file" in r.stderr and r.stdout == ""
    r = runner.invoke(model_app, ["train", "--data", str(tmp_path / "no.csv")])
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_cli_train_writes_the_artifact(tiny_model: Path, tmp_path: Path) -> None:
    data = write_csv(
        tmp_path / "t.csv",
        [(1, t) for t in POLITICAL] + [(0, t) for t in COMMERCIAL],
        ("label", "text"),
    )
    out = tmp_path / "out"
    r = runner.invoke(
        model_app,
        ["train", "--data", str(data), "--out", str(out), "--candidate", "word-lr", "--folds", "3"],
    )
    assert r.exit_code == 0, r.output
    assert "word-lr *" in r.stdout and "±" in r.stdout
    clf = load(out / "political-v1.skops")
    assert clf.metadata["model"] == "word-lr" and clf.metadata["n_rows"] == 24
    r = runner.invoke(
        model_app, ["evaluate", str(data), "--json", "--model", str(out / "political-v1.skops")]
    )
    assert r.exit_code == 0 and json.loads(r.stdout)["n"] == 24


def test_cli_default_training_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from paidfor.interfaces.cli.model import default_train_csv
    from paidfor.settings import Settings, SettingsError, load_settings

    monkeypatch.delenv("PAIDFOR_DATA_DIR", raising=False)
    expected = ("political_ads", "train.csv")
    assert default_train_csv(load_settings()).parts[-2:] == expected
    assert default_train_csv(load_settings()).is_file()  # the shared data beside the repo
    monkeypatch.setenv("PAIDFOR_DATA_DIR", str(tmp_path))
    assert default_train_csv(load_settings()) == tmp_path / "political_ads" / "train.csv"
    assert default_train_csv(Settings(data_dir=tmp_path)).parent == tmp_path / "political_ads"
    monkeypatch.setenv("PAIDFOR_DATA_DIR", str(tmp_path / "none"))
    with pytest.raises(SettingsError, match="PAIDFOR_DATA_DIR="):
        load_settings()  # a folder that is not there is an error naming it
