"""The Dask path (2-worker local cluster) gives exactly the serial contact features and graph."""

from __future__ import annotations

import os

import cooler
import dask
import numpy as np
import pandas as pd
import pytest
import torch

from hicexpr.contacts import compartments, gene_bins, gene_features, gene_pair_contacts, insulation
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.graph.build import EdgeWeights, build_gene_graph
from hicexpr.io.genes import read_genes
from hicexpr.lib.errors import InputError
from hicexpr.lib.parallel import dask_client, map_chromosomes
from hicexpr.workflows.scale import contact_features_parallel, gene_graph_parallel

MAX_DISTANCE = 1_000_000


def _square(chrom: str) -> int:
    return int(chrom.removeprefix("chr")) ** 2


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    # 3 chromosomes, 3.1-1.9 Mb, 10 kb bins: several TADs and compartments per chromosome
    paths = simulate_dataset(tmp_path_factory.mktemp("scale"), seed=5, n_genes=150, n_times=10,
                             n_chroms=3, genome_size=7_500_000, max_distance=2_000_000)
    return paths, read_genes(paths.genes)


@pytest.fixture(scope="module")
def serial(sim):
    """Reference: the whole-genome serial functions of hicexpr.contacts."""
    paths, genes = sim
    clr = cooler.Cooler(str(paths.cool))
    mapped = gene_bins(clr, genes)
    ins = insulation(clr)
    comp = compartments(clr, genes=mapped)
    feats = gene_features(clr, mapped, ins=ins, comp=comp)
    pairs = gene_pair_contacts(clr, mapped, max_distance=MAX_DISTANCE)
    return mapped, ins, comp, feats, pairs


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2) as c:
        yield c


@pytest.mark.slow  # starts the 2-worker local cluster (~10 s)
def test_map_chromosomes_serial_and_dask_keep_order(client) -> None:
    chroms = ["chr3", "chr1", "chr2"]
    assert map_chromosomes(_square, chroms) == [9, 1, 4]
    assert map_chromosomes(_square, chroms, client=client) == [9, 1, 4]
    assert map_chromosomes(_square, [], workers=None) == []


def test_map_chromosomes_rejects_bad_engine() -> None:
    with pytest.raises(InputError, match="workers"):
        map_chromosomes(_square, ["chr1"], workers=0)


def test_dask_features_equal_serial(sim, serial, client) -> None:
    paths, genes = sim
    mapped, ins, comp, feats, pairs = serial
    par = contact_features_parallel(paths.cool, genes, client=client, max_distance=MAX_DISTANCE)
    # the data really has structure, so equality is not vacuous
    assert ins["is_boundary"].sum() > 10
    assert comp["E1"].notna().mean() > 0.9
    assert len(pairs) > 200 and pairs["chrom1"].nunique() == 3
    exact = dict(check_exact=True)
    pd.testing.assert_frame_equal(par.genes, mapped, **exact)
    pd.testing.assert_frame_equal(par.insulation, ins, **exact)
    pd.testing.assert_frame_equal(par.pairs, pairs, **exact)
    # E1 comes from ARPACK (random start vector): equal to ~1e-15, even between serial calls
    _assert_equal_but_e1(par.compartments, comp)
    _assert_equal_but_e1(par.features, feats)


def _assert_equal_but_e1(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.drop(columns="E1"), ref.drop(columns="E1"),
                                  check_exact=True)
    np.testing.assert_allclose(got["E1"], ref["E1"], rtol=0, atol=1e-12)
    finite = ref["E1"].notna()
    assert finite.mean() > 0.9  # E1 really compared, not NaN against NaN
    assert (np.sign(got["E1"][finite]) == np.sign(ref["E1"][finite])).all()


def test_serial_path_equals_serial_functions(sim, serial) -> None:
    paths, genes = sim
    _, ins, _, feats, pairs = serial
    ser = contact_features_parallel(paths.cool, genes, workers=1, max_distance=MAX_DISTANCE)
    exact = dict(check_exact=True)
    _assert_equal_but_e1(ser.features, feats)  # ARPACK's start vector: E1 varies at ~1e-15
    pd.testing.assert_frame_equal(ser.pairs, pairs, **exact)
    pd.testing.assert_frame_equal(ser.insulation, ins, **exact)


def test_dask_graph_equals_serial(serial, client) -> None:
    mapped, _, _, _, pairs = serial
    table = pairs.assign(contact=np.log1p(pairs["balanced"].fillna(0)) /
                         np.log1p(pairs["balanced"].fillna(0)).max())
    weights = EdgeWeights(top_k=5)
    ref = build_gene_graph(mapped["gene_id"], table, weights)
    par = gene_graph_parallel(mapped["gene_id"], mapped["chrom"], table, weights, client=client)
    assert ref.edge_index.shape[1] > 200
    assert torch.equal(par.edge_index, ref.edge_index)
    assert torch.equal(par.edge_weight, ref.edge_weight)
    assert par.num_nodes == ref.num_nodes


def _die_on_chr2(chrom: str) -> int:
    if chrom == "chr2":
        os._exit(1)  # what the nanny's memory limit does to a worker
    return _square(chrom)


@pytest.mark.slow  # its own one-worker cluster (~5 s)
def test_a_task_that_kills_its_workers_is_a_one_line_error() -> None:
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            dask_client(workers=1) as own, \
            pytest.raises(InputError, match=r"^chromosomes: expected Dask workers that finish "
                          r"every chromosome .*, got 'the workers running a task died"):
        map_chromosomes(_die_on_chr2, ["chr1", "chr2", "chr3"], client=own)
