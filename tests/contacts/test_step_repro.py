"""STEP preprocessing reproduced from its 1 Mb maps: exact bins and contact values."""

from __future__ import annotations

import numpy as np
import pytest

from hicexpr.contacts.step_repro import reproduce_step, summary_markdown


@pytest.fixture(scope="module")
def step(data_dir):
    return reproduce_step(data_dir / "step", windows_bins=(5,))


def test_bins_and_contacts_exact(step):
    s = step["summary"]
    genes, pairs = step["genes"], step["pairs"]
    inside = genes[genes["in_coverage"]]
    # one record (HPGDS, start 61,827,892.5) was binned by STEP at 61.5 Mb: not a 1 Mb bin start
    assert (inside["our_bin"] != inside["step_bin"]).sum() == 1
    assert s.loc[s["quantity"] == "Gene_Bin", "value"].iloc[0] > 0.99
    both = pairs[pairs["both_in_coverage"]]
    exact = np.isclose(both["our_hic"], both["HiC_Interaction"], rtol=0, atol=5e-5)
    assert exact.sum() == len(both) - 12  # 12 mRNA rows carry another gene's coordinates
    assert (both.loc[~exact, "table"] == "mrna").all()


def test_out_of_coverage_genes_reported(step):
    genes = step["genes"]
    outside = genes[~genes["in_coverage"]]
    assert len(outside) == 15 and set(outside["chrom"]) == {"chr1"}
    assert (outside["start"] > 99_000_000).all()
    assert (outside["step_bin"] == 98_000_000).all()  # STEP snapped them to its last bin


def test_insulation_rank_agreement(step):
    s = step["summary"]
    rho = s.loc[s["quantity"] == "Insulation_Score", "value"].iloc[0]
    assert rho > 0.3
    assert "| Insulation_Score |" in summary_markdown(s)
