"""The political-ad classifier: an ad's text in, the probability that it is a political ad out.

Label 1 is a political or issue ad (candidates, elections, causes, advocacy, public
information), label 0 a commercial one. The model is a scikit-learn pipeline (text
normalisation, TF-IDF word and character n-grams, a linear classifier) chosen by stratified
5-fold cross-validation among a few candidates (``review.training``, which trains and saves
it), trained on the shared ``political_ads/train.csv`` and shipped as a skops file with a JSON
sidecar (``models/political-v1.skops`` and ``.json``). Loading never runs code from the file:
only the types the sidecar lists, and this module allows, are trusted. See docs/classifier.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.pipeline import FeatureUnion, Pipeline
from skops.io.exceptions import UntrustedTypesFoundException

from paidfor.errors import Invalid

MODEL_NAME = "political-v1"
MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODELS_DIR / f"{MODEL_NAME}.skops"
DEFAULT_THRESHOLD = 0.5
# Texts are scored on their first MAX_CHARS characters (ads are short; this bounds the work).
MAX_CHARS = 100_000

# The only types outside skops' own defaults that a shipped model may contain. ``save`` refuses
# a model needing anything else and ``load`` refuses a file containing anything else, whatever
# its sidecar says.
ALLOWED_TYPES: frozenset[str] = frozenset(
    {
        "paidfor.review.classifier.normalize_texts",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.utils._bunch.Bunch",
    }
)


class UntrustedModelError(Invalid):
    """A model file that contains a type the loader does not trust, or is not a model."""


# --- text normalisation --------------------------------------------------------------------

# Real URLs, URLs whose punctuation was stripped ("httpbitly2hSnF8P") and bare domains.
_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b(?:https?|www)[a-z0-9]{4,}\b"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|io|co|us|uk|ly|shop|store|info|biz|me|tv)"
    r"\b(?:/\S*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_APOSTROPHE = re.compile(r"['’‘`´]")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Reduce an ad text to lower-case ASCII words, with URLs, e-mails and numbers as tokens.

    The training file's political ads come with their punctuation, emoji and accents stripped
    and the commercial ones without; normalising both the same way keeps the model from
    learning punctuation instead of content.
    """
    text = text[:MAX_CHARS]
    text = _EMAIL.sub(" emailtoken ", text)
    text = _URL.sub(" urltoken ", text)
    text = _APOSTROPHE.sub("", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))  # café -> cafe
    text = _PUNCTUATION.sub(" ", text)  # em dashes, emoji, symbols: word breaks
    text = text.encode("ascii", "ignore").decode("ascii").lower()  # other scripts go
    text = _DIGITS.sub("0", text)
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def normalize_texts(texts: Iterable[str]) -> list[str]:
    """``normalize_text`` over a batch (the first step of every pipeline)."""
    return [normalize_text(t) if isinstance(t, str) else "" for t in texts]


# --- data -----------------------------------------------------------------------------------


def read_labelled_csv(csv_path: str | Path) -> tuple[list[str], list[int]]:
    """Read a ``label,text`` CSV (UTF-8, labels 0 or 1); ``Invalid`` says what is wrong."""
    path = Path(csv_path)
    raw = path.read_bytes()  # FileNotFoundError names the file
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from exc
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    reader = csv.DictReader(io.StringIO(content, newline=""))
    try:
        columns = reader.fieldnames
        if not columns:
            raise Invalid(f"{path} is empty; it needs a header with the columns label,text.")
        missing = [c for c in ("label", "text") if c not in columns]
        if missing:
            raise Invalid(
                f"{path} lacks the column(s) {', '.join(missing)}; it needs label and text "
                f"(it has: {', '.join(str(c) for c in columns)})."
            )
        texts: list[str] = []
        labels: list[int] = []
        for row in reader:
            value = (row.get("label") or "").strip()
            if value not in ("0", "1"):
                raise Invalid(
                    f"{path}:{reader.line_num}: the label must be 0 (commercial) or "
                    f"1 (political), not {value!r}."
                )
            labels.append(int(value))
            texts.append(row.get("text") or "")
    except csv.Error as exc:
        raise Invalid(f"{path}:{reader.line_num}: not a readable CSV ({exc}).") from exc
    if not labels:
        raise Invalid(f"{path} has a header but no rows.")
    return texts, labels


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- loading ------------------------------------------------------------------------------


def load(path: str | Path | None = None) -> PoliticalClassifier:
    """Load a saved model (default: the shipped one) without trusting anything unexpected.

    Raises FileNotFoundError for a missing file or sidecar and UntrustedModelError when the
    file holds a type that is neither listed in its sidecar nor in ``ALLOWED_TYPES``.
    """
    path = Path(path) if path is not None else DEFAULT_MODEL
    json_path = path.with_suffix(".json")
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    if not json_path.is_file():
        raise FileNotFoundError(f"no model sidecar at {json_path}")
    try:
        metadata = json.loads(json_path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"{json_path} is not a readable JSON sidecar ({exc}).") from exc
    declared = metadata.get("trusted_types") or []
    trusted = sorted(t for t in declared if isinstance(t, str) and t in ALLOWED_TYPES)
    try:
        # skops itself refuses (before building anything) a file holding any type that is
        # neither one of its safe defaults nor in ``trusted``.
        pipeline = sio.load(path, trusted=trusted)
    except UntrustedTypesFoundException as exc:
        refused = sorted(set(sio.get_untrusted_types(file=path)) - set(trusted))
        raise UntrustedModelError(
            f"{path} contains types that are not trusted: {', '.join(refused)}; refusing to load."
        ) from exc
    except Exception as exc:  # a broken zip or schema: skops raises various types
        raise UntrustedModelError(f"{path} is not a readable skops file ({exc}).") from exc
    if not isinstance(pipeline, Pipeline):
        raise UntrustedModelError(f"{path} does not hold a scikit-learn pipeline.")
    threshold = float(metadata.get("threshold", DEFAULT_THRESHOLD))
    return PoliticalClassifier(pipeline, threshold=threshold, metadata=metadata)


# --- using the model ------------------------------------------------------------------------


def _linear_weights(clf: Any) -> np.ndarray | None:
    """Per-feature weights towards "political" of a linear model, for explanations.

    Logistic regression and SVM: the coefficients (averaged over calibration folds); naive
    Bayes: the log-probability ratio; a vote: its first member that has weights.
    """
    if hasattr(clf, "coef_"):
        return np.asarray(clf.coef_, dtype=np.float64).ravel()
    if hasattr(clf, "feature_log_prob_"):
        logp = np.asarray(clf.feature_log_prob_, dtype=np.float64)
        return logp[1] - logp[0]
    if isinstance(clf, CalibratedClassifierCV):
        members = [_linear_weights(c.estimator) for c in clf.calibrated_classifiers_]
        found = [w for w in members if w is not None]
        return np.asarray(np.mean(found, axis=0)) if found else None
    if isinstance(clf, VotingClassifier):
        for member in clf.estimators_:
            weights = _linear_weights(member)
            if weights is not None:
                return weights
    return None


class PoliticalClassifier:
    """A fitted pipeline with a threshold: scores, decisions and readable reasons."""

    def __init__(
        self,
        pipeline: Pipeline,
        threshold: float = DEFAULT_THRESHOLD,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.threshold = threshold
        self.metadata = dict(metadata or {})
        self._explainer: tuple[TfidfVectorizer, np.ndarray, np.ndarray] | None = None
        self._explainer_built = False

    def score(self, text: str) -> float:
        """The probability, in [0, 1], that ``text`` is a political ad."""
        return self.scores([text])[0]

    def scores(self, texts: Sequence[str]) -> list[float]:
        """``score`` over a batch."""
        if not texts:
            return []
        proba = self.pipeline.predict_proba(np.asarray(list(texts), dtype=object))[:, 1]
        return [min(1.0, max(0.0, float(p))) if math.isfinite(p) else 0.5 for p in proba]

    def classify(self, text: str) -> tuple[bool, float, str]:
        """(is political, score, a reason a person can read)."""
        score = self.score(text)
        political = score >= self.threshold
        sign = ">=" if political else "<"
        reason = f"political score {score:.2f} {sign} threshold {self.threshold:.2f}"
        terms = self.strongest_terms(text, political)
        if terms:
            kind = "" if political else "commercial "
            reason += f"; strongest {kind}terms: {', '.join(terms)}"
        else:
            reason += "; no known words pointing that way"
        return political, score, reason

    def strongest_terms(self, text: str, political: bool = True, k: int = 3) -> list[str]:
        """The ``k`` words of ``text`` that push the score most towards (or away from) political."""
        explainer = self._get_explainer()
        if explainer is None:
            return []
        vectorizer, weights, names = explainer
        row = vectorizer.transform(normalize_texts([text])).tocsr()
        contrib = row.data * weights[row.indices]
        if not political:
            contrib = -contrib
        terms: list[str] = []
        for i in np.argsort(-contrib, kind="stable"):
            term = str(names[row.indices[i]])
            if contrib[i] <= 0 or len(terms) == k:
                break
            if not set(term.split()) <= ENGLISH_STOP_WORDS:  # "for by" explains nothing
                terms.append(term)
        return terms

    def _get_explainer(self) -> tuple[TfidfVectorizer, np.ndarray, np.ndarray] | None:
        """The word vectorizer, its slice of the linear weights, and its vocabulary."""
        if self._explainer_built:
            return self._explainer
        self._explainer_built = True
        features = self.pipeline.named_steps.get("features")
        weights = _linear_weights(self.pipeline.steps[-1][1])
        if not isinstance(features, FeatureUnion) or weights is None:
            return None
        offset = 0
        for _name, transformer in features.transformer_list:
            names = np.asarray(transformer.get_feature_names_out())
            if isinstance(transformer, TfidfVectorizer) and transformer.analyzer == "word":
                self._explainer = (transformer, weights[offset : offset + len(names)], names)
                break
            offset += len(names)
        return self._explainer

    def evaluate(self, csv_path: str | Path) -> dict[str, float | int]:
        """Precision, recall and F1 (political = positive) on a ``label,text`` CSV, and n."""
        return self.evaluate_rows(*read_labelled_csv(csv_path))

    def evaluate_rows(self, texts: Sequence[str], labels: Sequence[int]) -> dict[str, float | int]:
        """``evaluate`` on texts and their 0/1 labels."""
        predicted = [int(s >= self.threshold) for s in self.scores(texts)]
        return {
            "precision": float(precision_score(labels, predicted, zero_division=0)),
            "recall": float(recall_score(labels, predicted, zero_division=0)),
            "f1": float(f1_score(labels, predicted, zero_division=0)),
            "n": len(labels),
        }


def evaluate(
    csv_path: str | Path, classifier: PoliticalClassifier | None = None
) -> dict[str, float | int]:
    """Precision, recall, F1 and n of ``classifier`` (default: the shipped model) on a CSV."""
    return (classifier or load()).evaluate(csv_path)


__all__ = [
    "ALLOWED_TYPES",
    "DEFAULT_MODEL",
    "PoliticalClassifier",
    "UntrustedModelError",
    "evaluate",
    "load",
    "normalize_text",
    "read_labelled_csv",
]
