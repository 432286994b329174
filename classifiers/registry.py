"""The explicit list of detectors: name -> factory. Order is the order they run in."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from classifiers import commercial, confidential, credentials, harmful, legal, personal_data
from classifiers.base import Detector, DetectorConfig
from classifiers.language import detect_language
from classifiers.pipeline import Pipeline

DetectorFactory = Callable[[DetectorConfig], Detector]

DETECTORS: Mapping[str, DetectorFactory] = {
    confidential.NAME: confidential.build,
    personal_data.NAME: personal_data.build,
    credentials.NAME: credentials.build,
    commercial.NAME: commercial.build,
    legal.NAME: legal.build,
    harmful.NAME: harmful.build,
}


class UnknownDetector(ValueError):
    pass


def build_pipeline(
    config: DetectorConfig,
    enabled: Sequence[str] | None = None,
    wording_languages: Sequence[str] = ("en",),
) -> Pipeline:
    """Build the pipeline from the registry; ``enabled`` restricts and orders it.

    The language gate and the employer context come with it: posts in other languages skip
    the wording model, and posts naming the employer get their findings raised (rule 1).
    """
    names = list(DETECTORS) if enabled is None else list(enabled)
    unknown = [n for n in names if n not in DETECTORS]
    if unknown:
        raise UnknownDetector(
            f"unknown detector(s) {', '.join(unknown)}; known: {', '.join(DETECTORS)}"
        )
    return Pipeline(
        [DETECTORS[n](config) for n in names],
        detect_language=detect_language,
        wording_languages=wording_languages,
        employer=config.employer,
    )
