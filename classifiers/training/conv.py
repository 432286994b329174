"""Train the wording model's convolutional block (``classifiers/conv_block.py``) with torch.

Training only: needs the ``embeddings`` extra (torch). The word vectors stay frozen (the
block reads the model's own table; fine-tuning them overfit in cross-validation: 68.1
macro-F1 against 75.3 frozen), so what is learnt is the filters and the output layer, and
the result is exported to numpy arrays: nothing of torch is needed to score posts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from classifiers.conv_block import ConvBlock


@dataclass(frozen=True)
class ConvParams:
    """Chosen by 5-fold cross-validation on OLID train+val (blend with the linear model)."""

    widths: tuple[int, ...] = (1, 2, 3)
    filters: int = 48  # 64 scored the same, 32 lower; fewer filters score posts faster
    epochs: int = 10
    batch: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 1e-5
    dropout: float = 0.5
    max_tokens: int = 48
    weight: float = 0.5  # of its logit in the decision value (0.25 and 1.0 scored lower)
    seed: int = 0


def fit_conv(
    posts: Sequence[Sequence[int]],
    y: np.ndarray,
    sample_weight: np.ndarray,
    table: np.ndarray,
    params: ConvParams = ConvParams(),
) -> ConvBlock:
    """Fit the block on posts given as word ids (``WordVectors.ids``) over ``table``.

    Raises ImportError without torch.
    """
    import torch
    from torch import nn

    torch.manual_seed(params.seed)
    n, length = len(posts), params.max_tokens
    ids = np.zeros((n, length), dtype=np.int64)
    lens = np.zeros(n, dtype=np.int64)
    for i, p in enumerate(posts):
        p = list(p[:length])
        ids[i, : len(p)] = p
        lens[i] = len(p)
    emb = torch.tensor(np.vstack([np.zeros((1, table.shape[1])), table]), dtype=torch.float32)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding.from_pretrained(emb, freeze=True)
            self.convs = nn.ModuleList(
                nn.Conv1d(emb.shape[1], params.filters, k) for k in params.widths
            )
            self.drop = nn.Dropout(params.dropout)
            self.out = nn.Linear(params.filters * len(params.widths), 1)

        def forward(self, x: torch.Tensor, n_tokens: torch.Tensor) -> torch.Tensor:
            e = self.emb(x).transpose(1, 2)
            pooled = []
            for k, conv in zip(params.widths, self.convs, strict=True):
                act = torch.relu(conv(e))
                # Windows running past the post's end read padding: zero them, as the numpy
                # block does, so a short post's maximum is over its own words only.
                starts = torch.arange(act.shape[2])
                valid = starts[None, :] <= (n_tokens[:, None] - k)
                pooled.append((act * valid[:, None, :]).max(dim=2).values)
            return self.out(self.drop(torch.cat(pooled, 1))).squeeze(1)

    net = Net()
    x, n_tok = torch.tensor(ids), torch.tensor(lens)
    target = torch.tensor(y, dtype=torch.float32)
    w = torch.tensor(sample_weight, dtype=torch.float32)
    positive = float(y.mean())
    loss_fn = nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor((1.0 - positive) / max(positive, 1e-9)), reduction="none"
    )
    opt = torch.optim.Adam(
        net.parameters(), lr=params.learning_rate, weight_decay=params.weight_decay
    )
    for _ in range(params.epochs):
        net.train()
        order = torch.randperm(n)
        for lo in range(0, n, params.batch):
            j = order[lo : lo + params.batch]
            opt.zero_grad()
            loss = (loss_fn(net(x[j], n_tok[j]), target[j]) * w[j]).sum() / w[j].sum()
            loss.backward()
            opt.step()
    net.eval()
    state = {name: t.detach().numpy().astype(np.float64) for name, t in net.state_dict().items()}
    block = ConvBlock(
        kernels=[state[f"convs.{i}.weight"] for i in range(len(params.widths))],
        biases=[state[f"convs.{i}.bias"] for i in range(len(params.widths))],
        out=state["out.weight"].ravel(),
        out_bias=float(state["out.bias"][0]),
        weight=params.weight,
        max_tokens=params.max_tokens,
        info={"params": asdict(params), "n_train": n},
    )
    block.attach(table)
    return block
