"""Forecasting models: layers (Chebyshev graph conv, ST blocks, attentions), STEPmr / STEPmi /
GRU forecasters, baselines and losses, all with one estimator contract."""

from hicexpr.forecast.base import Forecaster
from hicexpr.forecast.baselines import (
    GeneRidgeAR,
    NeighbourRidgeAR,
    Persistence,
    PooledRidgeAR,
    WindowMean,
)
from hicexpr.forecast.cheb_conv import ChebGraphConv, SparseChebGraphConv
from hicexpr.forecast.connectivity_attention import ConnectivityAttention
from hicexpr.forecast.losses import TemporalLoss, mse
from hicexpr.forecast.minibatch import (
    MiniBatchSTEPmr,
    gene_blocks,
    resolve_device,
    window_batches,
)
from hicexpr.forecast.neural import GRUForecaster, STEPmi, STEPmr
from hicexpr.forecast.registry import MODELS, make_model
from hicexpr.forecast.st_block import STBlock
from hicexpr.forecast.temporal_attention import TemporalAttention

__all__ = [
    "MODELS",
    "ChebGraphConv",
    "ConnectivityAttention",
    "Forecaster",
    "GRUForecaster",
    "GeneRidgeAR",
    "MiniBatchSTEPmr",
    "NeighbourRidgeAR",
    "Persistence",
    "PooledRidgeAR",
    "STBlock",
    "STEPmi",
    "STEPmr",
    "SparseChebGraphConv",
    "TemporalAttention",
    "TemporalLoss",
    "WindowMean",
    "gene_blocks",
    "make_model",
    "mse",
    "resolve_device",
    "window_batches",
]
