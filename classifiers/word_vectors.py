"""Static word vectors distilled from a sentence-embedding model, for the wording model.

A TF-IDF model weighs each word on its own, so a rare word gets a noisy weight; a word vector
lets it borrow from its neighbours ("imbeciles" near "idiots"). Each word of a fixed vocabulary is
encoded alone by all-MiniLM-L6-v2 (the Model2Vec idea: a transformer's output for one word is
a good static vector), the vectors are reduced by PCA and stored as float16. A post's vector is
the normalised sum of its words' vectors: a table look-up per word, no transformer at run time.

Using the vectors needs numpy only. The table is built once by
``classifiers/training/word_vectors.py``; ``python -m classifiers.training.harmful --vectors
DIR`` puts it into a model, and retraining reuses it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

WORDS_FILE = "word_vectors.json"
ARRAY_FILE = "word_vectors.npz"
_WORD = re.compile(r"[a-z][a-z0-9_']*")


def lookup_key(token: str) -> str | None:
    """The table key of one word-block token: hashtags lose their ``#``; mentions, numbers
    and punctuation have none (a handle says nothing about the wording)."""
    if token.startswith("@"):
        return None
    word = token.lstrip("#")
    return word if _WORD.fullmatch(word) else None


@dataclass
class WordVectors:
    """A word -> vector table (float16 on disk, float64 in memory)."""

    words: list[str]
    matrix: np.ndarray  # (words, dims)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.matrix = np.asarray(self.matrix, dtype=np.float64)
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.words)}

    @property
    def dims(self) -> int:
        return int(self.matrix.shape[1])

    def rows(self, tokens: Iterable[str]) -> list[int]:
        """Table rows of the tokens that have a vector."""
        index = self.index
        out = []
        for token in tokens:
            key = lookup_key(token)
            if key is not None and (i := index.get(key)) is not None:
                out.append(i)
        return out

    def ids(self, tokens: Iterable[str]) -> list[int]:
        """Each token's table row plus one, 0 for a token without a vector: the sequence the
        convolutional block reads (it keeps word order, gaps included)."""
        index = self.index
        out = []
        for token in tokens:
            key = lookup_key(token)
            row = index.get(key) if key is not None else None
            out.append(0 if row is None else row + 1)
        return out

    def post_vectors(self, rows_of: Sequence[Sequence[int]]) -> np.ndarray:
        """(posts, dims): each post's normalised sum of its rows' vectors (zeros if none)."""
        out = np.zeros((len(rows_of), self.dims))
        for r, rows in enumerate(rows_of):
            if rows:
                out[r] = self.matrix[list(rows)].sum(axis=0)
        norms = np.linalg.norm(out, axis=1)
        norms[norms == 0.0] = 1.0
        return out / norms[:, None]

    def save(self, directory: str | Path) -> None:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        (path / WORDS_FILE).write_text(
            json.dumps({"words": self.words, "info": self.info}, separators=(",", ":"))
        )
        np.savez_compressed(path / ARRAY_FILE, matrix=self.matrix.astype(np.float16))

    @classmethod
    def load(cls, directory: str | Path) -> WordVectors:
        """Load a table saved by ``save``; raises OSError or ValueError when it is unreadable."""
        path = Path(directory)
        meta = json.loads((path / WORDS_FILE).read_text(encoding="utf-8"))
        with np.load(path / ARRAY_FILE, allow_pickle=False) as npz:
            matrix = npz["matrix"]
        if matrix.shape[0] != len(meta["words"]):
            raise ValueError(f"{path}: {matrix.shape[0]} vectors for {len(meta['words'])} words")
        return cls(list(meta["words"]), matrix, dict(meta.get("info", {})))

    @classmethod
    def exists(cls, directory: str | Path) -> bool:
        return (Path(directory) / WORDS_FILE).is_file()
