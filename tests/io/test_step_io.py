"""STEP readers: conflicting duplicate rows, relabelling, miRNA sample -> day mapping."""

from __future__ import annotations

import gzip
import logging
import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from hicexpr.io.step import (
    clean_step_name,
    mirna_sample_days,
    read_step_mirna,
    read_step_mrna_raw,
    read_step_pairs,
    step_sample_day,
)
from hicexpr.lib.errors import InputError

TIMES = ["-4.5", "0.5", "1.0", "2.0"]
SERIES = {
    "A": [1.0, 2.0, 3.0, 4.0],
    "B": [5.0, 5.5, 5.0, 4.5],
    "C": [0.0, 1.0, 0.0, 1.0],
    "D": [9.0, 8.0, 7.0, 6.0],
}
COORDS = {"A": ("1", 1_200_000), "B": ("1", 3_500_000), "C": ("2", 100), "D": ("1", 7_000_000)}


def _side(s: int, label: str, owner: str, series: list[float] | None = None) -> dict:
    chrom, start = COORDS[owner]
    row = {
        f"Gene{s}": label, f"Gene{s}_Chromosome": chrom, f"Gene{s}_Start": float(start),
        f"Gene{s}_End": float(start + 1000), f"Gene{s}_Bin": float(start // 1_000_000 * 1_000_000),
        f"Gene{s}_Compartment": "A" if owner in "AB" else "B",
        f"Gene{s}_Insulation_Score": 0.1, f"Gene{s}_TAD_Boundary_Distance": 3.0,
    }
    for t, v in zip(TIMES, series or SERIES[owner], strict=True):
        row[f"Gene{s}_Time_{t}"] = v
    return row


def _step_csv(path: Path) -> Path:
    rows = [
        ({**_side(1, "A", "A"), **_side(2, "B", "B")}, 100.0),
        ({**_side(1, "A", "A"), **_side(2, "C", "C")}, 20.0),
        ({**_side(1, "B", "B"), **_side(2, "C", "C")}, 30.0),
        ({**_side(1, "C", "C"), **_side(2, "D", "D")}, 40.0),
        # mislabelled: says A but carries D's coordinates and series
        ({**_side(1, "A", "D"), **_side(2, "B", "B")}, 50.0),
        # says B, carries a series that is nobody's
        ({**_side(1, "C", "C"), **_side(2, "B", "B", [0.0, 0.0, 9.0, 9.0])}, 60.0),
    ]
    table = pd.DataFrame([{**r, "HiC_Interaction": h} for r, h in rows])
    table.to_csv(path, index=False)
    return path


def _reference() -> ad.AnnData:
    X = np.array([SERIES[g] for g in "ABCD"]).T
    obs = pd.DataFrame({"time": [float(t) for t in TIMES]}, index=TIMES)
    return ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=list("ABCD")))


def test_conflicts_reported_without_reference(tmp_path: Path) -> None:
    sp = read_step_pairs(_step_csv(tmp_path / "interaction_mrna.csv"))
    assert set(sp.conflicts["gene"]) == {"A", "B"}
    a = sp.conflicts[sp.conflicts["gene"] == "A"].set_index("variant")
    assert a.loc[0, "kept"] and a.loc[0, "n_records"] == 2 and a.loc[0, "lines"] == "2,3"
    assert a.loc[1, "series_of"] == "D" and a.loc[1, "lines"] == "6"
    assert sp.expression.obs["time"].tolist() == [-4.5, 0.5, 1.0, 2.0]
    np.testing.assert_allclose(sp.expression[:, "A"].X.ravel(), SERIES["A"])
    assert sp.genes.loc["A", "chrom"] == "chr1" and sp.genes.loc["C", "chrom"] == "chr2"


def test_reference_relabels_and_flags_unmatched(tmp_path: Path) -> None:
    sp = read_step_pairs(_step_csv(tmp_path / "interaction_mrna.csv"), reference=_reference())
    row = sp.pairs.set_index("line").loc[6]
    assert (row["gene1"], row["label1"], row["status1"]) == ("D", "A", "relabelled")
    assert sp.pairs.set_index("line").loc[7, "status2"] == "unmatched"
    assert (sp.pairs.loc[sp.pairs["line"] <= 5, ["status1", "status2"]] == "own").all().all()
    np.testing.assert_allclose(sp.expression[:, "B"].X.ravel(), SERIES["B"])
    assert sp.genes.loc["D", "start"] == COORDS["D"][1]


def test_a_record_without_values_is_unmatched_not_a_crash(tmp_path: Path) -> None:
    path = _step_csv(tmp_path / "interaction_mrna.csv")
    table = pd.read_csv(path)
    table.loc[3, [f"Gene2_Time_{t}" for t in TIMES]] = np.nan  # line 5: D's series blank
    table.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        sp = read_step_pairs(path, reference=_reference())
    assert sp.pairs.set_index("line").loc[5, "status2"] == "unmatched"
    assert sp.pairs.set_index("line").loc[6, "status1"] == "relabelled"  # D's other record


def test_a_reference_on_other_times_is_reported_once(tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    reference = _reference()[:3].copy()
    with caplog.at_level(logging.WARNING, logger="hicexpr.io.step"):
        sp = read_step_pairs(_step_csv(tmp_path / "interaction_mrna.csv"), reference=reference)
    assert [r.getMessage() for r in caplog.records] == [
        "reference has 3 times, the table 4: not used",
        f"{tmp_path / 'interaction_mrna.csv'}: 2 gene labels carry conflicting series in "
        "different rows"]
    assert set(sp.pairs["status1"]) == {"unchecked"}


def test_names_and_days() -> None:
    assert clean_step_name("EGFR (Epidermal growth factor receptor) (PMID 1)") == "EGFR"
    assert clean_step_name("GUCY1A2  sGC(soluble guanylate cyclase)") == "GUCY1A2"
    assert clean_step_name("Claudin 1") == "Claudin 1"
    assert step_sample_day("E16.5-031") == -4.5
    assert step_sample_day("P0.54.311") == 0.5
    assert step_sample_day("p12.5") == 12.5
    assert step_sample_day("P10b-6.787") == 10.0
    assert step_sample_day("") is None


def test_bad_csv_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Gene1,Gene2\nA,B\n")
    with pytest.raises(InputError, match="bad.csv: line 1: expected column"):
        read_step_pairs(bad)



def test_empty_csv_is_an_input_error(tmp_path: Path) -> None:
    empty = tmp_path / "interaction_mrna.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="interaction_mrna.csv: expected a STEP interaction CSV"):
        read_step_pairs(empty)


def test_gzipped_csv_read_whatever_its_name(tmp_path: Path) -> None:
    plain = read_step_pairs(_step_csv(tmp_path / "interaction_mrna.csv"))
    packed = tmp_path / "packed.csv"
    packed.write_bytes(gzip.compress((tmp_path / "interaction_mrna.csv").read_bytes()))
    pd.testing.assert_frame_equal(read_step_pairs(packed).pairs, plain.pairs)


# --- real data -----------------------------------------------------------------------------


def test_real_mrna_raw_and_csv_agree(data_dir: Path) -> None:
    step = data_dir / "step"
    raw = read_step_mrna_raw(step / "raw" / "mRNAnorm.txt")
    assert raw.shape == (43, 126)
    assert int(raw.obs["n_replicates"].sum()) == 174
    named = read_step_mrna_raw(step / "raw" / "mRNA.txt")  # sample names, CR line ends
    np.testing.assert_allclose(named.obs["time"], raw.obs["time"])
    np.testing.assert_allclose(named.X, raw.X)
    sp = read_step_pairs(step / "interaction_mrna.csv", reference=raw)
    assert sp.expression.shape == (43, 49)
    assert sp.conflicts["gene"].nunique() == 26
    status = pd.concat([sp.pairs["status1"], sp.pairs["status2"]]).value_counts()
    assert status.to_dict() == {"own": 153, "relabelled": 30, "unmatched": 21}
    genes = list(sp.expression.var_names)
    np.testing.assert_allclose(sp.expression.X, raw[:, genes].X, atol=1e-9)


def test_real_mirna_aggregated_to_days(data_dir: Path) -> None:
    step = data_dir / "step"
    days = mirna_sample_days(step / "raw" / "mirna.txt")
    assert len(days) == 160 and days[153] is None and days[-6:] == [-4.5] * 6
    expr = read_step_mirna(step / "interaction_mirna.csv")
    assert expr.shape == (43, 162)
    assert expr.obs["time"].iloc[0] == -4.5 and expr.obs["n_replicates"].iloc[0] == 6
    assert int(expr.obs["n_replicates"].sum()) == 159
    assert not np.isnan(np.asarray(expr.X)).any()
    raw = read_step_mirna(step / "raw" / "mirna.txt")
    assert raw.n_obs == 43 and "Endogenous1" in set(raw.var["class"])
