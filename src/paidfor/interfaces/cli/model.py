"""``paidfor model``: train and evaluate the political-ad classifier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from paidfor.errors import Invalid
from paidfor.interfaces.cli.support import Commands, err, out
from paidfor.settings import Settings, find_data_dir, get_settings

model_app = typer.Typer(
    cls=Commands,
    help="The political-ad classifier: train it, evaluate it on a labelled CSV.",
    no_args_is_help=True,
)

TRAIN_CSV = Path("political_ads") / "train.csv"


def default_train_csv(settings: Settings) -> Path:
    """The shared training file: ``political_ads/train.csv`` in the shared data folder
    (``settings.find_data_dir``: PAIDFOR_DATA_DIR, else shared/data beside the working
    directory or the repository); ``--data`` names another file."""
    return find_data_dir(None, settings) / TRAIN_CSV


def _pm(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.4f}±{pair[1]:.4f}"


@model_app.command("train")
def train_cmd(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="label,text CSV [default: political_ads/train.csv in $PAIDFOR_DATA_DIR "
            "or ../shared/data]",
            show_default=False,
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="folder for political-v1.skops and .json [default: the package's models dir]",
            show_default=False,
        ),
    ] = None,
    candidate: Annotated[
        list[str] | None,
        typer.Option("--candidate", help="compare only these candidates (repeatable)"),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, help="cross-validation folds")] = 5,
) -> None:
    """Cross-validate the candidates, fit the best on all rows, save the artifact."""
    from paidfor.review import classifier, training

    path = data or default_train_csv(get_settings())
    if not path.is_file():
        raise Invalid(f"no such file: {path}")
    target_dir = out_dir or classifier.MODELS_DIR
    err.print(f"training on {path} ({folds}-fold cross-validation)…", highlight=False)
    try:  # a file that is no labelled CSV, too few rows, a candidate unknown: Invalid, exit 2
        pipeline, report = training.train(path, candidates=candidate, folds=folds)
    except OSError as exc:
        raise Invalid(str(exc)) from exc
    model_path = target_dir / f"{classifier.MODEL_NAME}.skops"
    json_path = training.save(pipeline, model_path, report.metadata())

    table = Table(
        title=f"{folds}-fold CV, {report.n_rows} rows ({report.n_political} political)",
        caption="mean±std over the folds, political = positive; * chosen (best mean F1)",
    )
    table.add_column("candidate", no_wrap=True)
    for name in ("precision", "recall", "F1"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("s", justify="right")
    for c in report.candidates:
        mark = " *" if c.name == report.chosen else ""
        table.add_row(c.name + mark, _pm(c.precision), _pm(c.recall), _pm(c.f1), f"{c.seconds:.0f}")
    out.print(table)
    size = model_path.stat().st_size
    out.print(f"saved {model_path} ({size / 1e6:.1f} MB) and {json_path}", highlight=False)


@model_app.command("evaluate")
def evaluate_cmd(
    file: Annotated[Path, typer.Argument(help="label,text CSV (1 = political, 0 = commercial)")],
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object {precision, recall, f1, n}")
    ] = False,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="a .skops model [default: the shipped one]"),
    ] = None,
) -> None:
    """Precision, recall and F1 of the classifier on a labelled CSV (political = positive)."""
    from paidfor.review import classifier

    if not file.is_file():
        raise Invalid(f"no such file: {file}")
    try:  # a bad file (Invalid) fails before the load; an untrusted model is Invalid too
        texts, labels = classifier.read_labelled_csv(file)
        clf = classifier.load(model)
        result = clf.evaluate_rows(texts, labels)
    except OSError as exc:  # no such model file (or sidecar), one it cannot read
        raise Invalid(str(exc)) from exc
    rounded = {
        "precision": round(float(result["precision"]), 4),
        "recall": round(float(result["recall"]), 4),
        "f1": round(float(result["f1"]), 4),
        "n": int(result["n"]),
    }
    if as_json:
        typer.echo(json.dumps(rounded))
        return
    table = Table(title=f"{file.name}: {rounded['n']} ads, threshold {clf.threshold:.2f}")
    table.add_column("precision", justify="right")
    table.add_column("recall", justify="right")
    table.add_column("F1", justify="right")
    table.add_column("n", justify="right")
    table.add_row(
        f"{rounded['precision']:.4f}",
        f"{rounded['recall']:.4f}",
        f"{rounded['f1']:.4f}",
        str(rounded["n"]),
    )
    out.print(table)


if __name__ == "__main__":
    model_app()
