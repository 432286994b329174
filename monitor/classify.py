"""Wire the classifier pipeline from the policy and settings; classify one text."""

from __future__ import annotations

from dataclasses import dataclass

from classifiers.base import DetectorConfig, Finding, PostText
from classifiers.pipeline import Classification, Pipeline
from classifiers.registry import build_pipeline
from monitor.config import AppConfig
from monitor.decide import Decision, Verdict, decide, verdict
from monitor.training import active_model_dir


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


def check(pipeline: Pipeline, app: AppConfig, post: PostText) -> CheckResult:
    """Classify ``post`` and apply the policy; ignored findings are dropped."""
    result = pipeline.classify(post)
    decided = tuple(
        DecidedFinding(f, d)
        for f in result.findings
        if (d := decide(f, app.policy)) != "ignore"
    )
    return CheckResult(verdict(d.decision for d in decided), decided, result)
