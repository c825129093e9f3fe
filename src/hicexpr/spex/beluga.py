"""DeepSEA "Beluga" chromatin model (2,002 outputs) as a profile source.

Architecture (Zhou et al. 2018, ExPecto), input one-hot DNA (batch, 4, 2000) in A, C, G, T order:

    [Conv1d(k=8) -> ReLU -> Conv1d(k=8) -> ReLU -> (Dropout -> MaxPool(4))] x 3 channel stages
    (320, 480, 640; no pooling after the last) -> Flatten (640 x 106 = 67,840)
    -> Dropout -> Linear(67,840 -> 2,003) -> ReLU -> Linear(2,003 -> 2,002) -> Sigmoid

Output (batch, 2002): probabilities of each chromatin feature in the central 200 bp.
The layer indices follow the published model so a user-supplied ``state_dict`` (with
``Conv2d`` kernels of shape (out, in, 1, 8)) loads directly; we cannot ship the weights.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from hicexpr.lib.devices import resolve_device
from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]
SEQ_LEN = 2000
N_OUTPUTS = 2002


class _Stage(nn.Module):
    """Placeholder keeping the published state_dict layout (``model.1.2.1.weight``)."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.add_module("0", nn.Identity())
        self.add_module("1", layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._modules["1"](x)


class Beluga(nn.Module):
    """DeepSEA Beluga: (batch, 4, seq_len) one-hot DNA -> (batch, n_outputs) probabilities.

    Args:
        channels: convolution channels of the three stages.
        kernel: convolution kernel width.
        seq_len: input length (bp).
        hidden: width of the first linear layer.
        n_outputs: chromatin features predicted.
    """

    def __init__(self, channels: Sequence[int] = (320, 480, 640), kernel: int = 8,
                 seq_len: int = SEQ_LEN, hidden: int = 2003, n_outputs: int = N_OUTPUTS) -> None:
        super().__init__()
        c1, c2, c3 = channels
        conv = nn.Sequential(
            nn.Conv1d(4, c1, kernel), nn.ReLU(), nn.Conv1d(c1, c1, kernel), nn.ReLU(),
            nn.Dropout(0.2), nn.MaxPool1d(4, 4),
            nn.Conv1d(c1, c2, kernel), nn.ReLU(), nn.Conv1d(c2, c2, kernel), nn.ReLU(),
            nn.Dropout(0.2), nn.MaxPool1d(4, 4),
            nn.Conv1d(c2, c3, kernel), nn.ReLU(), nn.Conv1d(c3, c3, kernel), nn.ReLU(),
        )
        length = ((seq_len - 2 * (kernel - 1)) // 4 - 2 * (kernel - 1)) // 4 - 2 * (kernel - 1)
        if length <= 0:
            raise InputError("beluga", "seq_len", f"a sequence longer than {6 * kernel} bp",
                             seq_len)
        self.seq_len = seq_len
        self.n_outputs = n_outputs
        dense = nn.Sequential(
            nn.Dropout(0.5), nn.Flatten(), _Stage(nn.Linear(c3 * length, hidden)), nn.ReLU(),
            _Stage(nn.Linear(hidden, n_outputs)),
        )
        self.model = nn.Sequential(conv, dense, nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 4, seq_len) -> (batch, n_outputs)."""
        return self.model(x)


def load_beluga(weights: PathLike, map_location: str = "cpu") -> Beluga:
    """A Beluga model with a user-supplied state_dict (Conv2d (out, in, 1, k) kernels accepted)."""
    file = Path(weights)
    if not file.is_file():
        raise InputError(file, "", "a Beluga weights file (PyTorch state_dict)", "not found")
    try:
        state = torch.load(file, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for bad files
        raise InputError(file, "", "a PyTorch state_dict", type(exc).__name__) from None
    if not isinstance(state, dict):
        raise InputError(file, "", "a PyTorch state_dict", type(state).__name__)
    state = {k: (v.squeeze(2) if v.ndim == 4 else v) for k, v in state.items()}
    keys = ("model.0.0.weight", "model.0.6.weight", "model.0.12.weight", "model.1.2.1.weight",
            "model.1.4.1.weight")
    if not all(k in state for k in keys):
        raise InputError(file, "state_dict keys", "the Beluga layout (model.0.0.weight, ...)",
                         [k for k in keys if k not in state][:3])
    c1, c2, c3 = (int(state[k].shape[0]) for k in keys[:3])
    model = Beluga(channels=(c1, c2, c3), kernel=int(state[keys[0]].shape[-1]),
                   hidden=int(state[keys[3]].shape[0]), n_outputs=int(state[keys[4]].shape[0]))
    if model.model[1][2]._modules["1"].in_features != state[keys[3]].shape[1]:
        raise InputError(file, keys[3], f"{model.model[1][2]._modules['1'].in_features} inputs "
                         f"({model.seq_len} bp sequences)", int(state[keys[3]].shape[1]))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise InputError(file, "state_dict keys", "the Beluga layout (model.0.0.weight, ...)",
                         (missing or unexpected)[:3])
    return model.eval()


_CODE = np.full(256, 4, dtype=np.int64)
for _i, _b in enumerate("ACGT"):
    _CODE[ord(_b)] = _i
    _CODE[ord(_b.lower())] = _i


def one_hot(seqs: Sequence[str]) -> np.ndarray:
    """DNA strings -> (n, 4, length) float32 one-hot in A, C, G, T order (N = 0.25 each)."""
    codes = _CODE[np.frombuffer("".join(seqs).encode("ascii"), dtype=np.uint8)]
    codes = codes.reshape(len(seqs), -1)
    eye = np.vstack([np.eye(4, dtype=np.float32), np.full((1, 4), 0.25, np.float32)])
    return np.ascontiguousarray(eye[codes].transpose(0, 2, 1))


def reverse_complement(x: torch.Tensor) -> torch.Tensor:
    """Reverse complement of one-hot (batch, 4, length) in A, C, G, T order."""
    return torch.flip(x, dims=(1, 2))


class BelugaProfiles:
    """A :class:`~hicexpr.spex.profiles.ProfileSource` predicting profiles from DNA.

    ``windows(chrom, centers, width)`` predicts the model's outputs for the ``model.seq_len``
    bp centred on each centre (``width`` is that of the tracks it replaces and is not used:
    the model sees its own input length). Predictions are cached in memory and, with
    ``cache_dir``, on disk per chromosome, keyed by the weights, strand option and centre.

    Args:
        model: a Beluga module (e.g. from :func:`load_beluga`).
        fasta: genome FASTA (indexed by pyfaidx; chromosome names must match the genes).
        average_rc: average forward and reverse-complement predictions.
        batch_size: sequences per forward pass.
        device: ``cuda`` when available by default.
        cache_dir: folder for ``.npz`` prediction caches.
        names: output names (default ``beluga_0`` ...).
    """

    def __init__(self, model: Beluga, fasta: PathLike, average_rc: bool = True,
                 batch_size: int = 64, device: str | None = None,
                 cache_dir: PathLike | None = None, names: Sequence[str] | None = None) -> None:
        import pyfaidx

        if not Path(fasta).is_file():
            raise InputError(fasta, "", "a genome FASTA file", "not found")
        self.device = resolve_device(device or "auto")
        self.model = model.to(self.device).eval()
        self.fasta = pyfaidx.Fasta(str(fasta), as_raw=True, sequence_always_upper=True)
        self.average_rc = average_rc
        self.batch_size = batch_size
        self.names = list(names) if names else [f"beluga_{i}" for i in range(model.n_outputs)]
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._key = _model_key(model, average_rc)
        self._cache: dict[str, dict[int, np.ndarray]] = {}
        self.n_predicted = 0

    def sequence(self, chrom: str, center: int) -> str:
        """``seq_len`` bp centred on ``center``, padded with N beyond the chromosome ends."""
        half = self.model.seq_len // 2
        start, end = center - half, center - half + self.model.seq_len
        if chrom not in self.fasta:
            raise InputError(self.fasta.filename, f"chromosome '{chrom}'", "a FASTA record", None)
        n = len(self.fasta[chrom])
        seq = self.fasta[chrom][max(start, 0): min(end, n)]
        return "N" * max(0, -start) + seq + "N" * max(0, end - n)

    @torch.inference_mode()
    def predict(self, seqs: Sequence[str]) -> np.ndarray:
        """(n, n_outputs) predictions for DNA strings of length ``seq_len``, batched."""
        out = []
        for lo in range(0, len(seqs), self.batch_size):
            x = torch.from_numpy(one_hot(seqs[lo: lo + self.batch_size])).to(self.device)
            y = self.model(x)
            if self.average_rc:
                y = (y + self.model(reverse_complement(x))) / 2
            out.append(y.float().cpu().numpy())
        self.n_predicted += len(seqs)
        return np.concatenate(out) if out else np.zeros((0, len(self.names)), np.float32)

    def windows(self, chrom: str, centers: np.ndarray, width: int = SEQ_LEN) -> np.ndarray:
        """(n, n_outputs) predictions at each centre (cached)."""
        centers = np.asarray(centers, dtype=np.int64)
        cache = self._load(chrom)
        uniq = np.unique(centers)
        todo = [int(c) for c in uniq if int(c) not in cache]
        for lo in track(range(0, len(todo), 4096), f"beluga {chrom}",
                        total=(len(todo) + 4095) // 4096):
            chunk = todo[lo: lo + 4096]
            preds = self.predict([self.sequence(chrom, c) for c in chunk])
            cache.update(zip(chunk, preds, strict=True))
        if todo:
            self._save(chrom)
        return np.stack([cache[int(c)] for c in centers]) if centers.size else np.zeros(
            (0, len(self.names)), np.float32)

    def _path(self, chrom: str) -> Path | None:
        return self.cache_dir / f"beluga_{self._key}_{chrom}.npz" if self.cache_dir else None

    def _load(self, chrom: str) -> dict[int, np.ndarray]:
        if chrom in self._cache:
            return self._cache[chrom]
        cache: dict[int, np.ndarray] = {}
        path = self._path(chrom)
        if path is not None and path.is_file():
            with np.load(path) as z:
                cache = dict(zip(z["centers"].tolist(), z["values"], strict=True))
        self._cache[chrom] = cache
        return cache

    def _save(self, chrom: str) -> None:
        path = self._path(chrom)
        if path is None:
            return
        from hicexpr.lib.atomic import atomic_path

        cache = self._cache[chrom]
        keys = np.array(sorted(cache), dtype=np.int64)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, centers=keys, values=np.stack([cache[int(k)] for k in keys]))


def _model_key(model: nn.Module, average_rc: bool) -> str:
    h = hashlib.sha1(str(average_rc).encode())
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().float().numpy().tobytes()[:4096])
        h.update(str(float(tensor.float().sum())).encode())
    return h.hexdigest()[:12]
