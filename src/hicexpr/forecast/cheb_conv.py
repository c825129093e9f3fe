"""Chebyshev spectral graph convolution applied to every (batch, time) slice: PyG's
:class:`~torch_geometric.nn.ChebConv` (gather / scatter over edges) and the same convolution as
sparse x dense products (:class:`SparseChebGraphConv`, what the ST-block models use)."""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn
from torch.autograd.function import FunctionCtx
from torch_geometric.nn import ChebConv


class ChebGraphConv(nn.Module):
    r"""Chebyshev graph convolution (Defferrard et al. 2016) over node features of a sequence.

    .. math::
        X' = \sum_{k=0}^{K-1} T_k(\tilde L) X \Theta_k,\quad
        \tilde L = 2L/\lambda_{max} - I,\quad L = I - D^{-1/2} A D^{-1/2}

    Wraps :class:`torch_geometric.nn.ChebConv` (which needs no torch-scatter/torch-sparse for an
    ``edge_index`` input); the node dimension is ``-2`` so any leading batch/time dims broadcast.

    Shapes:
        x ``[..., N, C_in]``, edge_index ``[2, E]``, edge_weight ``[E]`` -> ``[..., N, C_out]``.
    """

    def __init__(self, in_channels: int, out_channels: int, K: int = 2) -> None:
        super().__init__()
        self.conv = ChebConv(in_channels, out_channels, K=K, normalization="sym")

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        if edge_index.numel() == 0:
            return without_edges(self.conv, x)
        return self.conv(x, edge_index, edge_weight, lambda_max=torch.tensor(2.0))


def without_edges(conv: ChebConv, x: Tensor) -> Tensor:
    """The convolution on a graph without edges: L = I, so T_k(L~) = T_k(0); only the k = 0
    term (node features through ``lins[0]``) and the bias remain."""
    return conv.lins[0](x) + (conv.bias if conv.bias is not None else 0.0)


class _SpMM(torch.autograd.Function):
    """``lap @ x`` for a constant sparse ``lap`` whose transpose is given: the backward pass
    is one more sparse product (autograd would transpose the CSR matrix on every step)."""

    @staticmethod
    def forward(ctx: FunctionCtx, lap: Tensor, lap_t: Tensor, x: Tensor) -> Tensor:  # type: ignore[override]
        ctx.lap_t = lap_t
        return lap @ x

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[None, None, Tensor]:  # type: ignore[override]
        return None, None, ctx.lap_t @ grad


def sparse_matmul(lap: Tensor, x: Tensor, lap_t: Tensor | None = None) -> Tensor:
    """``lap @ x`` over the node axis: lap sparse ``[N, N]``, x ``[..., N, C]`` -> same shape
    (``lap_t``: lap transposed, for a cheap backward pass)."""
    moved = x.movedim(-2, 0)
    flat = moved.reshape(moved.shape[0], -1)
    out = lap @ flat if lap_t is None else _SpMM.apply(lap, lap_t, flat)
    return out.reshape(moved.shape).movedim(0, -2)


class _LaplacianCache:
    """Scaled Laplacians (and their transposes) of the last few graphs, shared by every
    convolution (the 2 blocks of a net, the gene blocks, the ensemble members)."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.entries: dict[tuple, tuple[Tensor, Tensor | None, Tensor, Tensor]] = {}

    def get(self, conv: nn.Module, edge_index: Tensor, edge_weight: Tensor | None, n: int,
            lambda_max: float, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
        key = (edge_index.data_ptr(), 0 if edge_weight is None else edge_weight.data_ptr(),
               int(edge_index.shape[1]), n, conv.normalization, float(lambda_max), dtype,
               str(edge_index.device))
        hit = self.entries.get(key)
        if hit is not None and hit[0] is edge_index and hit[1] is edge_weight:
            return hit[2], hit[3]
        ei, norm = conv.__norm__(edge_index, n, edge_weight, conv.normalization,
                                 torch.tensor(lambda_max), dtype=dtype)
        with warnings.catch_warnings():  # torch: "sparse CSR support is in beta state"
            warnings.simplefilter("ignore", UserWarning)
            lap = torch.sparse_coo_tensor(torch.stack([ei[1], ei[0]]), norm, (n, n),
                                          check_invariants=False).coalesce()
            lap_t = torch.sparse_coo_tensor(ei, norm, (n, n), check_invariants=False).coalesce()
            pair = (lap.to_sparse_csr(), lap_t.to_sparse_csr())
        if len(self.entries) >= self.size:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = (edge_index, edge_weight, *pair)
        return pair


_LAPLACIANS = _LaplacianCache()


class SparseChebGraphConv(nn.Module):
    r"""The Chebyshev convolution of a :class:`torch_geometric.nn.ChebConv` (same parameters,
    same :math:`\tilde L = 2L/\lambda_{max} - I` from PyG's normalisation), with
    :math:`T_k(\tilde L) X` computed as sparse x dense products (one CSR matrix and its
    transpose per graph, cached) instead of gathering node features onto every edge. Memory is
    O(E + N), never O(N^2) or O(E x batch x channels).

    Shapes: x ``[..., N, C_in]``, edge_index ``[2, E]``, edge_weight ``[E]`` ->
    ``[..., N, C_out]``.
    """

    def __init__(self, conv: nn.Module, lambda_max: float = 2.0) -> None:
        super().__init__()
        self.conv = conv
        self.lambda_max = lambda_max

    def laplacian(self, edge_index: Tensor, edge_weight: Tensor | None, n: int,
                  dtype: torch.dtype) -> tuple[Tensor, Tensor]:
        """Scaled Laplacian and its transpose as sparse CSR ``[N, N]`` (row = target node)."""
        return _LAPLACIANS.get(self.conv, edge_index, edge_weight, n, self.lambda_max, dtype)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        conv = self.conv
        if edge_index.numel() == 0:
            return without_edges(conv, x)
        bias = conv.bias if conv.bias is not None else 0.0
        lap, lap_t = self.laplacian(edge_index, edge_weight, x.shape[-2], x.dtype)
        tx0, out = x, conv.lins[0](x)
        tx1 = x
        if len(conv.lins) > 1:
            tx1 = sparse_matmul(lap, x, lap_t)
            out = out + conv.lins[1](tx1)
        for lin in conv.lins[2:]:
            tx2 = 2.0 * sparse_matmul(lap, tx1, lap_t) - tx0
            out = out + lin(tx2)
            tx0, tx1 = tx1, tx2
        return out + bias


def cheb_graph_conv(in_channels: int, out_channels: int, K: int = 2,
                    sparse: bool = True) -> nn.Module:
    """A Chebyshev graph convolution: :class:`SparseChebGraphConv` (sparse x dense products)
    or :class:`ChebGraphConv` (PyG's gather / scatter); same parameters, same initialisation
    for a seed, same output."""
    if sparse:
        return SparseChebGraphConv(ChebConv(in_channels, out_channels, K=K, normalization="sym"))
    return ChebGraphConv(in_channels, out_channels, K)
