"""Full-batch training with early stopping on the validation windows only."""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from hicexpr.forecast.losses import mse

log = logging.getLogger(__name__)


def seed_everything(seed: int, threads: int = 1) -> None:
    """Seed Python, NumPy and torch; fix the thread count (determinism on CPU)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    torch.set_num_threads(threads)


@dataclass
class TrainResult:
    best_epoch: int
    best_val: float
    epochs: int
    history: list[tuple[float, float]] = field(default_factory=list)


def train_full_batch(
    net: nn.Module,
    forward: Callable[[Tensor], Tensor],
    train: tuple[Tensor, Tensor],
    validation: tuple[Tensor, Tensor] | None,
    loss_fn: Callable[[Tensor, Tensor, Tensor], Tensor],
    lr: float = 1e-2,
    weight_decay: float = 1e-3,
    max_epochs: int = 300,
    patience: int = 30,
) -> TrainResult:
    """Adam on all training windows at once; keep the weights with the lowest validation MSE.

    The untrained net (epoch 0: its persistence / window-mean skip) competes too, so training
    that does not help on validation is discarded. Without validation windows the last epoch
    (``max_epochs``) is kept. Test windows never enter this function.
    """
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    X, y = train
    best, best_epoch, best_state, wait = float("inf"), 0, None, 0
    history: list[tuple[float, float]] = []
    epoch = 0
    if validation is not None:  # epoch 0: the untrained net (its residual skip) is a candidate
        net.eval()
        with torch.no_grad():
            best = float(mse(forward(validation[0]), validation[1]))
        best_state = copy.deepcopy(net.state_dict())
    for epoch in range(1, max_epochs + 1):
        net.train()
        opt.zero_grad()
        loss = loss_fn(forward(X), y, X[:, -1, :])
        loss.backward()
        opt.step()
        val = float("nan")
        if validation is not None:
            net.eval()
            with torch.no_grad():
                val = float(mse(forward(validation[0]), validation[1]))
            if val < best - 1e-7:
                best, best_epoch, wait = val, epoch, 0
                best_state = copy.deepcopy(net.state_dict())
            else:
                wait += 1
        history.append((float(loss.detach()), val))
        if validation is not None and wait >= patience:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    log.debug("trained %d epochs, best validation %.4f at %d", epoch, best, best_epoch)
    return TrainResult(best_epoch, best, epoch, history)
