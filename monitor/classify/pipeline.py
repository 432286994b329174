"""Wire the classifier pipeline from the policy and settings; classify one text."""

from __future__ import annotations

from dataclasses import dataclass, replace

from classifiers.base import DetectorConfig, Finding, PostText
from classifiers.pipeline import Classification, Pipeline
from classifiers.registry import build_pipeline
from monitor.classify.decide import Decision, Verdict, decide, verdict
from monitor.classify.training import active_model_dir
from monitor.config import AppConfig


def detector_config(app: AppConfig) -> DetectorConfig:
    return DetectorConfig(
        terms=app.policy.company_terms(),
        employer=app.policy.employer_identity(),
        phone_regions=tuple(app.settings.classifiers.phone_regions),
        lexicon_dir=str(app.lexicon_dir),
        harmful_model_dir=str(model) if (model := active_model_dir(app)) else None,
    )


def make_pipeline(app: AppConfig) -> Pipeline:
    return build_pipeline(
        detector_config(app), wording_languages=app.settings.classifiers.wording_languages
    )


@dataclass(frozen=True)
class DecidedFinding:
    finding: Finding
    decision: Decision


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    findings: tuple[DecidedFinding, ...]
    classification: Classification
    # Set when the text was longer than ``polling.max_text_bytes``: only its head was checked.
    cut_at: int | None = None


def head(text: str, max_bytes: int) -> tuple[str, bool]:
    """The text's first ``max_bytes`` bytes of UTF-8 (whole characters), and whether it was cut.

    A 10 MB post must not take the classifiers' (and the daemon's) memory and time: the head
    is checked and the findings say so.
    """
    if len(text) * 4 <= max_bytes:
        return text, False  # cheap: no character takes more than 4 bytes
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text, False
    return raw[:max_bytes].decode("utf-8", errors="ignore"), True


def cut_note(max_bytes: int) -> str:
    return f" (the post is very long: only its first {max_bytes // 1024} KB were checked)"


def check(pipeline: Pipeline, app: AppConfig, post: PostText, cut: bool = False) -> CheckResult:
    """Classify ``post`` and apply the policy; ignored findings are dropped.

    A text over ``polling.max_text_bytes`` is cut to its head first; ``cut`` says the caller
    already did. Either way each finding's explanation says only the head was checked.
    """
    limit = app.settings.polling.max_text_bytes
    text, was_cut = head(post.text, limit)
    if was_cut:
        post = replace(post, text=text)
    result = pipeline.classify(post)
    findings = result.findings
    cut_at = limit if was_cut or cut else None
    if cut_at is not None:
        note = cut_note(cut_at)
        findings = tuple(replace(f, explanation=f.explanation + note) for f in findings)
    decided = tuple(
        DecidedFinding(f, d)
        for f in findings
        if (d := decide(f, app.policy)) != "ignore"
    )
    return CheckResult(verdict(d.decision for d in decided), decided, result, cut_at)
