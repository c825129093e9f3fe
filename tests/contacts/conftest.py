"""Fixtures for contact-map tests: a private converted-map cache, real and synthetic maps."""

from __future__ import annotations

from pathlib import Path

import cooler
import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session", autouse=True)
def _contacts_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Converted / balanced maps go to a per-session cache, never to ~/.cache."""
    path = tmp_path_factory.mktemp("hicexpr_cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("HICEXPR_CACHE", str(path))
    yield path
    mp.undo()


def make_cool(path: Path, sizes: dict[str, int], binsize: int, empty: tuple[str, ...] = (),
              trans: bool = False, seed: int = 0) -> Path:
    """A small cooler with power-law decay (count ~ 1000 / (d + 1)) and optional trans pixels."""
    rng = np.random.default_rng(seed)
    chromsizes = pd.Series(sizes)
    bins = cooler.binnify(chromsizes, binsize)
    frames = []
    for chrom in sizes:
        if chrom in empty:
            continue
        ids = np.flatnonzero(bins["chrom"].to_numpy() == chrom)
        i, j = np.triu_indices(len(ids))
        count = rng.poisson(1000.0 / (j - i + 1.0))
        frames.append(pd.DataFrame({"bin1_id": ids[i], "bin2_id": ids[j], "count": count}))
    if trans:
        names = list(sizes)
        a = np.flatnonzero(bins["chrom"].to_numpy() == names[0])
        b = np.flatnonzero(bins["chrom"].to_numpy() == names[1])
        ii, jj = np.meshgrid(a, b, indexing="ij")
        frames.append(pd.DataFrame({"bin1_id": ii.ravel(), "bin2_id": jj.ravel(),
                                    "count": rng.poisson(2.0, ii.size)}))
    pixels = pd.concat(frames).sort_values(["bin1_id", "bin2_id"])
    pixels = pixels[pixels["count"] > 0]
    cooler.create_cooler(str(path), bins, pixels, ordered=True, assembly="test")
    return path


@pytest.fixture
def synthetic_cool(tmp_path: Path):
    """Factory: ``synthetic_cool(sizes, binsize, **kw) -> Path``."""

    def factory(sizes: dict[str, int], binsize: int, **kw) -> Path:
        return make_cool(tmp_path / f"syn{len(list(tmp_path.iterdir()))}.cool", sizes, binsize,
                         **kw)

    return factory


@pytest.fixture(scope="session")
def chr22(data_dir: Path) -> cooler.Cooler:
    """GM12878 chr22 50 kb (raw counts), balanced into the session cache."""
    from hicexpr.io.contacts import balanced_copy, open_contacts

    raw = open_contacts(data_dir / "human_gm12878_hg19/hic/GM12878_Rao2014_prim_chr22_50kb.cool")
    return balanced_copy(raw)


@pytest.fixture(scope="session")
def hg19_genes(data_dir: Path) -> pd.DataFrame:
    from hicexpr.io.genes import read_genes

    return read_genes(data_dir / "human_gm12878_hg19/genes/CollapsedGeneBounds.hg19.bed")
