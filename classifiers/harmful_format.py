"""The harmful-wording model's files: what a model directory holds, read and written.

A directory holds ``manifest.json`` (block specs, calibration, lexicon, info), ``vocab.json``
(the TF-IDF vocabularies), ``arrays.npz`` (weights and idf), and, from format 2, the word
vector table, from format 3 the conv block's ``conv.npz``. Everything is plain JSON or a
pickle-free ``.npz`` (``allow_pickle=False``), so loading a model never executes code from a
file. The model (``harmful_model``) says what goes in the manifest; this module only knows files.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.conv_block import CONV_FILE, ConvBlock
from classifiers.word_vectors import ARRAY_FILE, WORDS_FILE, WordVectors

FORMAT = 3  # 2 adds word vectors, 3 the conv block; format-1 and -2 models still load
MANIFEST = "manifest.json"
VOCAB = "vocab.json"
ARRAYS = "arrays.npz"
SHIPPED_DIR = Path(__file__).resolve().parent / "models" / "harmful"


class ModelError(Exception):
    """A model directory is missing, incomplete or of an unknown format; reinstall or retrain."""


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz``, no pickle. The file is ours to close: ``np.load`` leaves it
    open when the archive is damaged."""
    with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


@dataclass
class ModelFiles:
    """The contents of one model directory."""

    manifest: dict[str, Any]
    vocab: dict[str, list[str]]
    arrays: dict[str, np.ndarray]  # float64 when read
    vectors: WordVectors | None = None
    conv: ConvBlock | None = None


def read_model_files(directory: str | Path) -> ModelFiles:
    """Read a model directory; raises ModelError when it is missing, damaged or too new."""
    path = Path(directory)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
        vocab = json.loads((path / VOCAB).read_text(encoding="utf-8"))
        if manifest.get("format") not in range(1, FORMAT + 1):
            raise ModelError(
                f"model format {manifest.get('format')!r} in {path}; need 1 to {FORMAT}"
            )
        arrays = {k: a.astype(np.float64) for k, a in read_npz(path / ARRAYS).items()}
        vectors = WordVectors.load(path) if manifest.get("vectors") else None
        conv = None
        if manifest.get("conv"):
            conv = ConvBlock.from_arrays(manifest["conv"], read_npz(path / CONV_FILE))
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelError(f"cannot load the harmful-wording model from {path}: {exc}") from exc
    return ModelFiles(manifest, vocab, arrays, vectors, conv)


def write_model_files(directory: str | Path, files: ModelFiles) -> Path:
    """Write ``files`` into ``directory`` (created if needed); returns the directory."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / MANIFEST).write_text(json.dumps(files.manifest, indent=1, sort_keys=True) + "\n")
    (path / VOCAB).write_text(json.dumps(files.vocab, ensure_ascii=False, separators=(",", ":")))
    np.savez_compressed(path / ARRAYS, **files.arrays)  # type: ignore[arg-type]
    # Files left from an earlier model here would be taken for this one's.
    if files.vectors is not None:
        files.vectors.save(path)
    else:
        for name in (WORDS_FILE, ARRAY_FILE):
            (path / name).unlink(missing_ok=True)
    if files.conv is not None:
        conv_arrays: dict[str, Any] = files.conv.arrays()
        np.savez_compressed(path / CONV_FILE, **conv_arrays)
    else:
        (path / CONV_FILE).unlink(missing_ok=True)
    return path
