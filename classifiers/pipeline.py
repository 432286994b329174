"""Run every detector on a post; one failing detector never hides the others."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from classifiers.base import Detector, EmployerIdentity, Finding, PostText
from classifiers.employer import apply_employer_context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectorFailure:
    detector: str
    error: str


@dataclass(frozen=True)
class Classification:
    """All findings for one post, plus what could not be assessed and why."""

    findings: tuple[Finding, ...]
    failures: tuple[DetectorFailure, ...] = ()
    # ISO 639-1 code when known; ``wording_assessed`` is False when no wording model covers it.
    language: str | None = None
    wording_assessed: bool = True


class Pipeline:
    """An ordered set of detectors, and the gate that decides whether wording can be judged.

    Detectors with ``language_dependent = True`` (the wording model) only run on texts whose
    detected language is in ``wording_languages``; other posts still get every
    language-independent detector and are recorded as "wording not assessed".
    """

    def __init__(
        self,
        detectors: Sequence[Detector],
        detect_language: Callable[[str], str | None] | None = None,
        wording_languages: Sequence[str] = ("en",),
        employer: EmployerIdentity | None = None,
    ) -> None:
        self.detectors = tuple(detectors)
        # When set, a post naming the employer raises its other findings (rule 1).
        self.employer = employer
        self.detect_language = detect_language
        self.wording_languages = frozenset(wording_languages)

    def classify(self, post: PostText) -> Classification:
        findings: list[Finding] = []
        failures: list[DetectorFailure] = []
        language = self.detect_language(post.text) if self.detect_language else None
        # Unknown language (too short to tell) is judged: most short posts are in the default.
        wording_assessed = language is None or language in self.wording_languages
        for detector in self.detectors:
            if not wording_assessed and getattr(detector, "language_dependent", False):
                continue
            try:
                found = detector.detect(post)
            except Exception as exc:  # isolate: one broken detector must not hide the others
                # Never log the text: only the post id and the error type.
                log.exception(
                    "detector failed",
                    extra={"detector": detector.name, "post_id": post.post_id},
                )
                failures.append(DetectorFailure(detector.name, type(exc).__name__))
                continue
            findings.extend(found)
        findings = apply_employer_context(post.text, findings, self.employer)
        findings.sort(key=lambda f: (f.start, f.end, f.category))
        return Classification(tuple(findings), tuple(failures), language, wording_assessed)

    def classify_many(self, posts: Sequence[PostText]) -> list[Classification]:
        return [self.classify(p) for p in posts]
