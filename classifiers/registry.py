"""The explicit list of detectors: name -> factory. Order is the order they run in."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from classifiers import confidential
from classifiers.base import Detector, DetectorConfig
from classifiers.pipeline import Pipeline

DetectorFactory = Callable[[DetectorConfig], Detector]

DETECTORS: Mapping[str, DetectorFactory] = {
    confidential.NAME: confidential.build,
}


class UnknownDetector(ValueError):
    pass


def build_pipeline(config: DetectorConfig, enabled: Sequence[str] | None = None) -> Pipeline:
    """Build the pipeline from the registry; ``enabled`` restricts and orders it."""
    names = list(DETECTORS) if enabled is None else list(enabled)
    unknown = [n for n in names if n not in DETECTORS]
    if unknown:
        raise UnknownDetector(
            f"unknown detector(s) {', '.join(unknown)}; known: {', '.join(DETECTORS)}"
        )
    return Pipeline([DETECTORS[n](config) for n in names])
