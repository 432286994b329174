"""The feedback loop: employees' reviews become labelled examples for the wording model.

"Not a problem" on a harmful-wording flag is a label 0; a flag the employee confirmed by
fixing it (deleted, edited, apologized) is a label 1. `social-monitor train` retrains with
them added to the base data, compares macro-F1 before and after on the held-out split, and
installs the new model only if it is not worse. Installed models live in
``<data_dir>/models/harmful/<version>/``; ``ACTIVE`` names the one in use and ``HISTORY``
the earlier ones, so a rollback is one step.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from monitor.clock import utcnow
from monitor.config import AppConfig
from monitor.errors import BadInput, MonitorError
from monitor.storage.db import session_scope
from monitor.storage.models import FindingRow, PostRow, ReviewRow

CONFIRMING = ("deleted", "edited", "apologized")


@dataclass(frozen=True)
class Example:
    text: str
    label: int


@dataclass(frozen=True)
class TrainOutcome:
    before_macro_f1: float
    after_macro_f1: float
    before_recall: float
    after_recall: float
    n_feedback: int
    installed: bool
    model_dir: Path


def models_root(app: AppConfig) -> Path:
    return Path(app.settings.storage.data_dir) / "models" / "harmful"


def active_model_dir(app: AppConfig) -> Path | None:
    """The installed retrained model, or None for the shipped one."""
    pointer = models_root(app) / "ACTIVE"
    if not pointer.is_file():
        return None
    path = models_root(app) / pointer.read_text().strip()
    return path if path.is_dir() else None


def feedback_examples(engine: Engine) -> list[Example]:
    """Labelled texts from reviews of harmful-wording flags whose post text is still kept."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(ReviewRow.action, PostRow.text)
            .join(FindingRow, col(ReviewRow.finding_id) == col(FindingRow.id))
            .join(PostRow, col(FindingRow.post_id) == col(PostRow.id))
            .where(FindingRow.category == "harmful", col(PostRow.text).is_not(None))
        ).all()
    seen: dict[str, int] = {}
    for action, text in rows:
        if text is None:
            continue
        if action == "not_a_problem":
            seen[text] = 0
        elif action in CONFIRMING:
            seen.setdefault(text, 1)
    return [Example(t, label) for t, label in seen.items()]


def _install(app: AppConfig, new_dir: Path) -> None:
    root = models_root(app)
    pointer, history = root / "ACTIVE", root / "HISTORY"
    if pointer.is_file():
        with history.open("a") as fh:
            fh.write(pointer.read_text().strip() + "\n")
    pointer.write_text(new_dir.name + "\n")


def rollback(app: AppConfig) -> str:
    """Go back to the previously installed model (or the shipped one). Returns its name."""
    root = models_root(app)
    history = root / "HISTORY"
    earlier = history.read_text().split() if history.is_file() else []
    pointer = root / "ACTIVE"
    if not pointer.is_file():
        raise BadInput("the shipped model is in use; there is nothing to roll back")
    if earlier:
        pointer.write_text(earlier[-1] + "\n")
        history.write_text("".join(f"{e}\n" for e in earlier[:-1]))
        return earlier[-1]
    pointer.unlink()
    return "shipped model"


def train(engine: Engine, app: AppConfig, data_dir: Path) -> TrainOutcome:
    """Retrain with the feedback; install only if macro-F1 on the held-out split is not worse."""
    try:
        from classifiers.harmful_model import HarmfulModel
        from classifiers.training.data import LabelledText
        from classifiers.training.harmful import retrain_with_feedback
    except ImportError as exc:  # the training extra is optional
        raise MonitorError(
            "training needs the train extra: pip install 'social-monitor[train]'"
        ) from exc
    if not (data_dir / "offensive" / "train.tsv").is_file():
        raise BadInput(f"--data: {data_dir} has no offensive/train.tsv (the tweeteval folder)")
    examples = feedback_examples(engine)
    current_dir = active_model_dir(app)
    current = HarmfulModel.load(current_dir) if current_dir else HarmfulModel.load()
    root = models_root(app)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    version = utcnow().strftime("%Y%m%d%H%M%S")
    try:
        result = retrain_with_feedback(
            data_dir,
            [LabelledText(e.text, e.label, weight=30.0) for e in examples],
            staging,
            current,
            version=version,
        )
    except ImportError as exc:
        raise MonitorError(
            "training needs the train extra: pip install 'social-monitor[train]'"
        ) from exc
    final = staging
    if result.accept:
        final = root / f"v{version}"
        shutil.rmtree(final, ignore_errors=True)
        result.model_dir.rename(final)
        _install(app, final)
    return TrainOutcome(
        before_macro_f1=result.before.macro_f1,
        after_macro_f1=result.after.macro_f1,
        before_recall=result.before.recall,
        after_recall=result.after.recall,
        n_feedback=len(examples),
        installed=result.accept,
        model_dir=final,
    )
