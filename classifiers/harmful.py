"""Harmful wording (rule 1): offensive, insulting, humiliating or hateful words.

Two layers, one detector:

- the lexicon (``config/lexicons/*.txt``) catches slurs, insults, threats, hateful phrases and
  profanity even when obfuscated, each hit a finding with the exact span in the original text;
- the trained model (``classifiers/models/harmful``) scores the whole post; when the score
  reaches 0.5 the words that pushed it most become findings, so the review page can
  highlight them. Every finding of a post carries at least the post's model score.

The model is English-only, hence ``language_dependent = True``: the pipeline skips it for
posts detected in another language and records them as "wording not assessed".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from classifiers.base import DetectorConfig, Finding, PostText, mask
from classifiers.harmful_format import SHIPPED_DIR
from classifiers.harmful_model import HarmfulModel, WordContribution
from classifiers.lexicon import DEFAULT_KIND_SCORES, Lexicon, LexiconHit, default_lexicon_dir

NAME = "harmful_wording"
VERSION = "1"
FLAG = 0.5
# At most this many model words are highlighted, each pushing at least this share of the top.
MAX_WORDS = 3
MIN_SHARE = 0.35
_RULE_1 = (
    "rule 1: any statement can offend or humiliate, and readers may take it as the company's voice."
)
_WHAT = {
    "slurs": "a slur",
    "insults": "insulting",
    "threats": "a threat",
    "hateful": "hateful towards a group",
    "profanity": "profane",
}
# Function words may carry weight in the model ("you") but highlighting them explains nothing.
_NOT_HIGHLIGHTED = frozenset(
    [
        "you",
        "u",
        "ur",
        "your",
        "you're",
        "youre",
        "are",
        "is",
        "am",
        "was",
        "be",
        "a",
        "an",
        "the",
        "to",
        "of",
        "and",
        "or",
        "i",
        "me",
        "my",
        "it",
        "this",
        "that",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "their",
        "we",
        "our",
        "so",
        "just",
    ]
)


class HarmfulWordingDetector:
    """Lexicon hits plus the model's strongest words; see the module docstring."""

    name = NAME
    language_dependent = True

    def __init__(self, model: HarmfulModel, lexicon: Lexicon) -> None:
        self.model = model
        self.lexicon = lexicon
        # The model version is part of ours, so stored findings say which model made them.
        self.version = f"{VERSION}+model-{model.version}"
        # The model counts its own lexicon's hits as features; when the policy's lexicon is
        # the same, those hits are the findings' too and are not looked up twice.
        self._same_lexicon = lexicon.terms_by_kind == model.lexicon.terms_by_kind

    @classmethod
    def from_dirs(
        cls, model_dir: str | Path = SHIPPED_DIR, lexicon_dir: str | Path | None = None
    ) -> HarmfulWordingDetector:
        """Load a model directory and a lexicon directory (the shipped ones by default).

        Raises ModelError for a bad model directory, FileNotFoundError for a missing lexicon.
        """
        directory = lexicon_dir or default_lexicon_dir()
        lexicon = Lexicon.from_dir(directory) if directory else Lexicon({})
        return cls(HarmfulModel.load(model_dir), lexicon)

    def detect(self, post: PostText) -> list[Finding]:
        score, hits, words = self.model.assess(post.text, FLAG, skip_hits=self._same_lexicon)
        return self._findings(post.text, score, hits if self._same_lexicon else None, words)

    def detect_many(self, posts: Sequence[PostText]) -> list[list[Finding]]:
        """Batch form: scores every post in one pass, explains only the flagged ones."""
        texts = [p.text for p in posts]
        assessed = self.model.assess_many(texts, FLAG, skip_hits=self._same_lexicon)
        return [
            self._findings(text, score, hits if self._same_lexicon else None, words)
            for text, (score, hits, words) in zip(texts, assessed, strict=True)
        ]

    def _findings(
        self,
        text: str,
        score: float,
        hits: list[LexiconHit] | None,
        words: list[WordContribution] | None = None,
    ) -> list[Finding]:
        if hits is None:
            hits = self.lexicon.find(text)
        findings = [self._lexicon_finding(text, h, score) for h in hits]
        if score < FLAG or findings:
            # A lexicon hit already says which words carry the flag; the model's other
            # top words would only add noise ("client", "knows") beside it.
            return findings
        if words is None:  # only a flagged post needs to know which words carried its score
            _, words = self.model.explain(text)
        for w in self._strong_words(text, words):
            findings.append(self._model_finding(text, w, score))
        if not findings:
            # The model flags the post but no single word stands out: flag the whole post.
            findings.append(self._model_finding(text, WordContribution(0, len(text), 0.0), score))
        return findings

    @staticmethod
    def _strong_words(text: str, words: list[WordContribution]) -> list[WordContribution]:
        candidates = [
            w
            for w in words
            if w.weight > 0
            and text[w.start : w.end].strip(".,!?;:\"'").lower() not in _NOT_HIGHLIGHTED
        ]
        if not candidates:
            return []
        top = max(w.weight for w in candidates)
        strong = sorted(
            (w for w in candidates if w.weight >= MIN_SHARE * top), key=lambda w: -w.weight
        )[:MAX_WORDS]
        return sorted(strong, key=lambda w: w.start)

    @staticmethod
    def _trim(text: str, start: int, end: int) -> tuple[int, int]:
        """Drop punctuation around a word so the highlight covers the word only."""
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        return start, end

    def _model_finding(self, text: str, w: WordContribution, score: float) -> Finding:
        start, end = self._trim(text, w.start, w.end)
        if start == end:
            start, end = w.start, w.end
        word = text[start:end]
        return Finding(
            detector=NAME,
            version=self.version,
            category="harmful",
            rule="1",
            start=start,
            end=end,
            masked=mask(word),
            score=round(score, 4),
            explanation=(
                f"Words like {word!r} read as offensive or insulting "
                f"(model score {score:.2f}); {_RULE_1}"
                if end - start < len(text)
                else f"The wording reads as offensive (model score {score:.2f}); {_RULE_1}"
            ),
            kind="model",
        )

    def _lexicon_finding(self, text: str, hit: LexiconHit, score: float) -> Finding:
        base = DEFAULT_KIND_SCORES.get(hit.kind, DEFAULT_KIND_SCORES["insults"])
        matched = text[hit.start : hit.end]
        # Slurs are never spelled out again, not even in an explanation.
        shown = mask(hit.term) if hit.kind == "slurs" else hit.term
        obfuscated = "" if matched.lower() == hit.term else " (even written this way)"
        what = _WHAT.get(hit.kind, "insulting")
        return Finding(
            detector=NAME,
            version=self.version,
            category="harmful",
            rule="1",
            start=hit.start,
            end=hit.end,
            masked=mask(matched),
            score=round(max(base, score), 4),
            explanation=f"Words like {shown!r}{obfuscated} read as {what}; {_RULE_1}",
            kind=f"lexicon_{hit.kind}",
        )


def build(config: DetectorConfig) -> HarmfulWordingDetector:
    """The detector with the shipped model and the policy's lexicon directory (if set)."""
    return HarmfulWordingDetector.from_dirs(
        config.harmful_model_dir or SHIPPED_DIR, config.lexicon_dir
    )
