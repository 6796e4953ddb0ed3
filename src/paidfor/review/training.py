"""Training the political-ad classifier (``review.classifier`` scores with it): the candidate
pipelines, stratified cross-validation among them on a labelled CSV, the chosen one refitted on
all of it, and saving it as a skops file with its JSON sidecar (what ``classifier.load``
trusts). Used by ``paidfor model train``; nothing that serves requests imports it.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from paidfor.errors import Invalid
from paidfor.review.classifier import (
    ALLOWED_TYPES,
    DEFAULT_THRESHOLD,
    MODEL_NAME,
    UntrustedModelError,
    file_sha256,
    normalize_texts,
    read_labelled_csv,
)

RANDOM_STATE = 42
CV_FOLDS = 5


# --- candidates -----------------------------------------------------------------------------


def _word_tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.9,
        sublinear_tf=True,
        max_features=60_000,
        dtype=np.float32,
    )


def _char_tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        min_df=3,
        sublinear_tf=True,
        max_features=120_000,
        dtype=np.float32,
    )


def _pipeline(features: list[tuple[str, TfidfVectorizer]], clf: Any) -> Pipeline:
    return Pipeline(
        [
            ("normalize", FunctionTransformer(normalize_texts)),
            ("features", FeatureUnion(features)),
            ("clf", clf),
        ]
    )


def _lr(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, random_state=RANDOM_STATE)


def _word_lr() -> Pipeline:
    return _pipeline([("word", _word_tfidf())], _lr(10.0))


def _word_nb() -> Pipeline:
    return _pipeline([("word", _word_tfidf())], MultinomialNB(alpha=0.1))


def _word_char_lr() -> Pipeline:
    return _pipeline([("word", _word_tfidf()), ("char", _char_tfidf())], _lr(3.0))


def _word_char_svm() -> Pipeline:
    svm = LinearSVC(C=0.1, random_state=RANDOM_STATE)
    clf = CalibratedClassifierCV(svm, method="sigmoid", cv=3)
    return _pipeline([("word", _word_tfidf()), ("char", _char_tfidf())], clf)


def _word_char_lr_nb() -> Pipeline:
    clf = VotingClassifier([("lr", _lr(3.0)), ("nb", MultinomialNB(alpha=0.1))], voting="soft")
    return _pipeline([("word", _word_tfidf()), ("char", _char_tfidf())], clf)


@dataclass(frozen=True)
class Candidate:
    """One model the training compares: a name, what it is, and how to build it."""

    name: str
    description: str
    build: Callable[[], Pipeline]


CANDIDATES: dict[str, Candidate] = {
    c.name: c
    for c in (
        Candidate("word-lr", "TF-IDF word 1-2-grams + logistic regression (C=10)", _word_lr),
        Candidate(
            "word-nb", "TF-IDF word 1-2-grams + multinomial naive Bayes (alpha=0.1)", _word_nb
        ),
        Candidate(
            "word-char-lr",
            "TF-IDF word 1-2-grams + char_wb 2-5-grams + logistic regression (C=3)",
            _word_char_lr,
        ),
        Candidate(
            "word-char-svm",
            "TF-IDF word 1-2-grams + char_wb 2-5-grams + linear SVM (C=0.1), sigmoid-calibrated",
            _word_char_svm,
        ),
        Candidate(
            "word-char-lr-nb",
            "TF-IDF word 1-2-grams + char_wb 2-5-grams + soft vote of logistic regression (C=3) "
            "and multinomial naive Bayes (alpha=0.1)",
            _word_char_lr_nb,
        ),
    )
}


# --- training -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateResult:
    """A candidate's cross-validated figures (mean and standard deviation over the folds)."""

    name: str
    description: str
    precision: tuple[float, float]
    recall: tuple[float, float]
    f1: tuple[float, float]
    seconds: float


@dataclass
class TrainReport:
    """What ``train`` did: the data, each candidate's CV figures and the one chosen."""

    data_path: str
    data_sha256: str
    n_rows: int
    n_political: int
    folds: int
    candidates: list[CandidateResult]
    chosen: str
    threshold: float = DEFAULT_THRESHOLD
    created: str = field(default_factory=lambda: datetime.now(UTC).date().isoformat())

    @property
    def chosen_result(self) -> CandidateResult:
        """The figures of the chosen candidate."""
        return next(c for c in self.candidates if c.name == self.chosen)

    def metadata(self) -> dict[str, Any]:
        """The sidecar's fields that come from training."""
        best = self.chosen_result

        def ms(pair: tuple[float, float]) -> dict[str, float]:
            return {"mean": round(pair[0], 4), "std": round(pair[1], 4)}

        return {
            "version": MODEL_NAME,
            "model": best.name,
            "description": best.description,
            "created": self.created,
            "training_file": Path(self.data_path).name,
            "training_file_sha256": self.data_sha256,
            "n_rows": self.n_rows,
            "n_political": self.n_political,
            "random_state": RANDOM_STATE,
            "cv_folds": self.folds,
            "cv": {"precision": ms(best.precision), "recall": ms(best.recall), "f1": ms(best.f1)},
            "candidates": [
                {
                    "name": c.name,
                    "description": c.description,
                    "precision": ms(c.precision),
                    "recall": ms(c.recall),
                    "f1": ms(c.f1),
                    "seconds": round(c.seconds, 1),
                }
                for c in self.candidates
            ],
            "threshold": self.threshold,
        }


def cross_validate_candidate(
    candidate: Candidate, texts: Sequence[str], labels: Sequence[int], folds: int = CV_FOLDS
) -> CandidateResult:
    """Stratified k-fold precision, recall and F1 (political = positive) of one candidate."""
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=RANDOM_STATE)
    started = time.perf_counter()
    scores = cross_validate(
        candidate.build(),
        np.asarray(texts, dtype=object),
        np.asarray(labels),
        cv=cv,
        scoring=("precision", "recall", "f1"),
    )

    def ms(key: str) -> tuple[float, float]:
        values = scores[f"test_{key}"]
        return float(np.mean(values)), float(np.std(values))

    return CandidateResult(
        name=candidate.name,
        description=candidate.description,
        precision=ms("precision"),
        recall=ms("recall"),
        f1=ms("f1"),
        seconds=time.perf_counter() - started,
    )


def train(
    csv_path: str | Path,
    candidates: Sequence[str] | None = None,
    folds: int = CV_FOLDS,
) -> tuple[Pipeline, TrainReport]:
    """Compare the candidates by cross-validation, refit the best F1 on all rows, report.

    Deterministic: the folds and every estimator use ``RANDOM_STATE``, so the same file gives
    the same model.
    """
    names = list(candidates) if candidates else list(CANDIDATES)
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        raise Invalid(f"unknown candidate(s) {', '.join(unknown)}; known: {', '.join(CANDIDATES)}.")
    texts, labels = read_labelled_csv(csv_path)
    n_political = sum(labels)
    smallest = min(n_political, len(labels) - n_political)
    if smallest < folds:
        raise Invalid(
            f"{csv_path} needs at least {folds} rows of each label for {folds}-fold "
            f"cross-validation; it has {n_political} political and "
            f"{len(labels) - n_political} commercial."
        )
    results = [cross_validate_candidate(CANDIDATES[n], texts, labels, folds) for n in names]
    best = max(results, key=lambda r: r.f1[0])  # the first of equals wins
    pipeline = CANDIDATES[best.name].build()
    pipeline.fit(np.asarray(texts, dtype=object), np.asarray(labels))
    _compact(pipeline)
    report = TrainReport(
        data_path=str(csv_path),
        data_sha256=file_sha256(csv_path),
        n_rows=len(labels),
        n_political=n_political,
        folds=folds,
        candidates=results,
        chosen=best.name,
    )
    return pipeline, report


# --- saving ---------------------------------------------------------------------------------


def _compact(pipeline: Pipeline) -> None:
    """Make the vocabularies' indices plain ints (``max_features`` leaves numpy ints, which
    skops would store as one file per term)."""
    features = pipeline.named_steps.get("features")
    vectorizers = features.transformer_list if isinstance(features, FeatureUnion) else []
    for _name, vectorizer in vectorizers:
        vocabulary = getattr(vectorizer, "vocabulary_", None)
        if isinstance(vocabulary, dict):
            vectorizer.vocabulary_ = {str(k): int(v) for k, v in vocabulary.items()}


def save(pipeline: Pipeline, path: str | Path, metadata: dict[str, Any]) -> Path:
    """Write the pipeline as skops to ``path`` and its JSON sidecar beside it; return the json.

    The sidecar gets ``metadata`` plus the library versions, the artifact's SHA-256 and the
    list of non-default types the file needs (``trusted_types``), which must all be in
    ``ALLOWED_TYPES``.
    """
    path = Path(path)
    _compact(pipeline)
    buffer = io.BytesIO()
    sio.dump(pipeline, buffer, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    data = buffer.getvalue()
    needed = sorted(sio.get_untrusted_types(data=data))
    refused = [t for t in needed if t not in ALLOWED_TYPES]
    if refused:
        raise UntrustedModelError(
            f"the model needs types the loader does not trust: {', '.join(refused)}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    sidecar = {
        "version": MODEL_NAME,
        "threshold": DEFAULT_THRESHOLD,
        **metadata,
        "format": "skops",
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "artifact": path.name,
        "artifact_sha256": hashlib.sha256(data).hexdigest(),
        "artifact_bytes": len(data),
        "trusted_types": needed,
    }
    json_path = path.with_suffix(".json")
    json_path.write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return json_path
