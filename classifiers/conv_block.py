"""A small convolutional block over a post's word vectors: it reads word order.

The linear part of the wording model sees n-grams and the post's summed word vector; neither
knows which words stand next to which beyond a bigram. This block slides filters one, two and
three words wide over the sequence of word vectors (``WordVectors.ids``: a word without a
vector is a zero vector, so gaps stay gaps), keeps each filter's strongest activation in the
post (max-pooling after a ReLU) and adds a weighted logit to the model's decision value.
Five-fold cross-validation on OLID train+val chose it: macro-F1 76.23 -> 76.63, ROC-AUC
0.842 -> 0.847, mean of three fold seeds (see the model card).

It is trained with torch (``classifiers/training/conv.py``, the ``embeddings`` extra) and runs
here in numpy from plain arrays: every word's part of every filter at every offset is one
table row (computed once when the block is attached to its word vectors), so a post costs a
gather, a few additions and a maximum per filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain, pairwise
from typing import Any

import numpy as np

from classifiers import harmful_kernel

CONV_FILE = "conv.npz"


@dataclass
class ConvBlock:
    """Filters (per width k: ``(filters, dims, k)``), their biases, the output layer and the
    weight of its logit in the model's decision. Posts longer than ``max_tokens`` word tokens
    are read up to there, as in training."""

    kernels: list[np.ndarray]
    biases: list[np.ndarray]
    out: np.ndarray  # (filters * widths,)
    out_bias: float
    weight: float
    max_tokens: int = 48
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kernels = [np.asarray(k, dtype=np.float64) for k in self.kernels]
        self.biases = [np.asarray(b, dtype=np.float64) for b in self.biases]
        self.out = np.asarray(self.out, dtype=np.float64)
        if not self.kernels or len(self.kernels) != len(self.biases):
            raise ValueError("conv block: need one bias vector per filter width")
        filters, dims = self.kernels[0].shape[:2]
        for k, b in zip(self.kernels, self.biases, strict=True):
            if k.ndim != 3 or k.shape[:2] != (filters, dims) or b.shape != (filters,):
                raise ValueError(
                    f"conv block: filters of shape {k.shape} with biases {b.shape}; expected "
                    f"({filters}, {dims}, width) and ({filters},)"
                )
        if self.out.shape != (filters * len(self.kernels),):
            raise ValueError(
                f"conv block: output layer of shape {self.out.shape}, expected "
                f"({filters * len(self.kernels)},)"
            )
        if self.max_tokens < 1:
            raise ValueError(f"conv block: max_tokens is {self.max_tokens}, need 1 or more")
        arrays = [*self.kernels, *self.biases, self.out, np.array([self.out_bias, self.weight])]
        if not all(np.isfinite(a).all() for a in arrays):
            raise ValueError("conv block: weights hold NaN or infinite values")
        self.filters, self.dims = int(filters), int(dims)
        self.widths = [int(k.shape[2]) for k in self.kernels]
        if self.widths != sorted(set(self.widths)):
            raise ValueError(f"conv block: widths {self.widths} must be distinct and ascending")
        self._width_of = np.repeat(self.widths, self.filters)  # of each pooled column
        self._columns = np.arange(len(self._width_of))
        # For word j of a window: the first pooled column whose filters are wider than j.
        self._from = [int(np.searchsorted(self._width_of, j, side="right"))
                      for j in range(max(self.widths))]  # fmt: skip
        # Filled by ``attach``: every word's part of every filter at every offset, the offsets
        # side by side (``_spans``: each offset's columns), so a post is one gather.
        self._fused = np.zeros((0, 0), dtype=np.float32)
        self._spans: list[tuple[int, int]] = []
        # The same for the compiled kernel: offsets, then (lo, hi, first column) per offset.
        self._layout = np.zeros(0, dtype=np.int64)

    def attach(self, table: np.ndarray) -> None:
        """Precompute each word's part of every filter at every offset from the word-vector
        table (rows as ``WordVectors.ids`` numbers them: row 0 is "no vector").

        Columns ``_spans[j]`` of ``_fused`` hold, for every word, what it adds as the j-th word
        of a window to the filters wider than j; those of offset 0 carry the biases.
        """
        if table.shape[1] != self.dims:
            raise ValueError(
                f"conv block reads {self.dims}-dimensional word vectors, the table has "
                f"{table.shape[1]}"
            )
        # float32 throughout: float64 temporaries of this size stay in the process's heap
        # after they are freed (glibc), which a long-running daemon would carry for nothing.
        full = np.zeros((len(table) + 1, self.dims), dtype=np.float32)
        full[1:] = table
        proj = []
        for j in range(max(self.widths)):
            weights = np.vstack([k[:, :, j] for k in self.kernels if k.shape[2] > j])
            part = full @ weights.T.astype(np.float32)
            if j == 0:
                part += np.concatenate(self.biases).astype(np.float32)
            proj.append(part)
        self._fused = np.ascontiguousarray(np.hstack(proj))
        edges = np.cumsum([0, *(p.shape[1] for p in proj)])
        self._spans = [(int(lo), int(hi)) for lo, hi in pairwise(edges)]
        self._layout = np.array(
            [len(self._spans), *(v for j, (lo, hi) in enumerate(self._spans)
                                 for v in (lo, hi, self._from[j]))],
            dtype=np.int64,
        )  # fmt: skip

    def _windows(self, flat: np.ndarray, last: np.ndarray | None = None) -> np.ndarray:
        """(tokens, filters * widths): each filter's value (before the ReLU) on the window
        starting at each token; -inf where that window runs past its post's end. ``last``:
        each post's last token position (posts with at least one token); None for one post.

        The ReLU comes after the max-pooling: it is monotonic, so the max of the ReLUs is
        the ReLU of the max, and it is applied to one row per post instead of one per token.
        """
        if not self._spans:
            raise ValueError("conv block: attach() it to its word vectors first")
        try:
            rows = self._fused[flat]
        except IndexError as exc:
            raise ValueError(f"conv block: word ids beyond its table ({exc})") from exc
        act = rows[:, : self._spans[0][1]]  # a view: ``rows`` is this call's own copy
        for j in range(1, len(self._spans)):
            lo, hi = self._spans[j]
            act[:-j, self._from[j] :] += rows[j:, lo:hi]
            # windows starting j words or fewer before a post's end are cut short
            if last is None:
                act[-j:, self._from[j] :] = -np.inf
            else:
                tail = last - (j - 1)
                act[tail[tail >= 0], self._from[j] :] = -np.inf
        return act

    def _runs(self, posts: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        posts = [p[: self.max_tokens] for p in posts]
        lens = np.fromiter(map(len, posts), dtype=np.int64, count=len(posts))
        flat = np.fromiter(chain.from_iterable(posts), dtype=np.int64, count=int(lens.sum()))
        return flat, lens, np.cumsum(lens) - lens

    def pooled(self, posts: Sequence[Sequence[int]]) -> np.ndarray:
        """(posts, filters * widths): each filter's strongest ReLU activation in each post."""
        flat, lens, starts = self._runs(posts)
        out = np.zeros((len(posts), len(self._width_of)), dtype=np.float32)
        if not len(flat):
            return out
        some = lens > 0
        # A post shorter than a window marks rows of the post before it; those rows are that
        # post's own cut-short windows, -inf already. reduceat keeps the posts apart.
        act = self._windows(flat, (starts + lens - 1)[some])
        out[some] = np.maximum.reduceat(act, starts[some], axis=0)
        return np.maximum(out, 0.0, out=out)

    def logits(self, posts: Sequence[Sequence[int]]) -> np.ndarray:
        """The block's logit per post (before ``weight``)."""
        return self.pooled(posts).astype(np.float64) @ self.out + self.out_bias

    def logit(self, ids: Sequence[int]) -> float:
        """``logits([ids])[0]`` without the batch bookkeeping (the single-post path), by the
        compiled kernel where it is built."""
        kernel = harmful_kernel.compiled
        if kernel is None or not self._spans:
            return self.logit_numpy(ids)
        return float(kernel.conv_logit(
            ids, self._fused, self._layout, self.out, self.out_bias, self.max_tokens
        ))  # fmt: skip

    def logit_numpy(self, ids: Sequence[int]) -> float:
        """``logit`` in numpy: the fallback, and what the compiled kernel is tested against."""
        n = min(len(ids), self.max_tokens)
        if not n:
            return self.out_bias
        act = self._windows(np.asarray(ids[:n], dtype=np.intp))
        pooled = np.maximum(act.max(axis=0), 0.0).astype(np.float64)
        return float(pooled @ self.out) + self.out_bias

    def token_shares(self, ids: Sequence[int]) -> np.ndarray:
        """Each token's share of ``weight * logit`` less the output bias: a filter's
        contribution is split evenly between the words of its strongest window (tokens past
        ``max_tokens`` get 0: the block does not read them)."""
        return np.asarray(self.token_share_list(ids), dtype=np.float64)

    def token_share_list(self, ids: Sequence[int]) -> list[float]:
        """``token_shares`` as plain floats, by the compiled kernel where it is built."""
        kernel = harmful_kernel.compiled
        if kernel is None or not self._spans:
            return [float(v) for v in self.token_shares_numpy(ids)]
        shares: list[float] = kernel.conv_shares(
            ids, self._fused, self._layout, self.out, self.weight, self.max_tokens
        )
        return shares

    def token_shares_numpy(self, ids: Sequence[int]) -> np.ndarray:
        """``token_shares`` in numpy: the fallback, and the compiled kernel's reference."""
        shares = np.zeros(len(ids))
        n = min(len(ids), self.max_tokens)
        if not n:
            return shares
        act = self._windows(np.array(ids[:n], dtype=np.int64))
        best = act.argmax(axis=0)
        top = np.maximum(act[best, self._columns], 0.0).astype(np.float64)
        value = top * self.out * self.weight / self._width_of
        for j in range(max(self.widths)):  # the j-th word of each filter's best window
            wide = self._width_of > j
            shares[:n] += np.bincount(best[wide] + j, value[wide], minlength=n)[:n]
        return shares

    def arrays(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"out": self.out}
        for k, b in zip(self.kernels, self.biases, strict=True):
            out[f"kernel_{k.shape[2]}"] = k
            out[f"bias_{k.shape[2]}"] = b
        return {name: a.astype(np.float32) for name, a in out.items()}

    def spec(self) -> dict[str, Any]:
        return {
            "widths": self.widths,
            "filters": self.filters,
            "out_bias": self.out_bias,
            "weight": self.weight,
            "max_tokens": self.max_tokens,
            "info": self.info,
        }

    @classmethod
    def from_arrays(cls, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> ConvBlock:
        """Rebuild from ``spec()`` and ``arrays()``; raises KeyError or ValueError."""
        widths = [int(w) for w in spec["widths"]]
        return cls(
            kernels=[arrays[f"kernel_{w}"] for w in widths],
            biases=[arrays[f"bias_{w}"] for w in widths],
            out=arrays["out"],
            out_bias=float(spec["out_bias"]),
            weight=float(spec["weight"]),
            max_tokens=int(spec["max_tokens"]),
            info=dict(spec.get("info", {})),
        )
