"""Decide what a finding deserves under the policy: alert now, digest only, or ignore."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from classifiers.base import Finding
from monitor.policy import Policy

Decision = Literal["alert", "digest", "ignore"]
Verdict = Literal["alert", "digest", "ok"]


def decide(finding: Finding, policy: Policy) -> Decision:
    t = policy.thresholds
    if finding.score < t.digest:
        return "ignore"
    if finding.category in policy.routing.immediate and finding.score >= t.alert:
        return "alert"
    return "digest"


def verdict(decisions: Iterable[Decision]) -> Verdict:
    ds = set(decisions)
    if "alert" in ds:
        return "alert"
    if "digest" in ds:
        return "digest"
    return "ok"
