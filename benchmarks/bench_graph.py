"""Gene-graph benchmark: do the Hi-C contacts join genes that change together?

For each forecasting dataset (the ``forecast`` suite's genes and graph: each gene's 10
strongest contact edges), for all complete yeast genes, and with a second yeast map (W303 G1,
2 kb; genes on its 12 chromosomes whose sizes match the SGD annotation),
:func:`hicexpr.graph.contact_coexpression` relates every contact measure to the pairs'
co-expression (|Pearson r| of the two genes' changes; lag 1: of one gene's change with the
other's previous change) over the chronological split's training time points only: rank
correlation over all pairs and within genomic-distance deciles, a one-sided gene-permutation
p (99 permutations), and the mean co-expression of the top-decile (or flagged) pairs vs the
rest.

    python benchmarks/bench_graph.py
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure  # noqa: E402
from hicexpr.config import ForecastConfig  # noqa: E402
from hicexpr.datasets.forecasting import load_forecast_dataset  # noqa: E402
from hicexpr.evaluate.protocols import make_splits  # noqa: E402
from hicexpr.graph import contact_coexpression  # noqa: E402
from hicexpr.lib.progress import set_quiet  # noqa: E402
from hicexpr.workflows.forecast import COEXPRESSION_LAGS, gene_graph  # noqa: E402

W303 = "scer_w303_g1_2kb_SRR8769554.cool"  # a second yeast map (2 kb; 12 chromosomes match)
#: (record name, dataset, loader options); yeast without ``max_genes``: the forecast panel
DATASETS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("step_mrna", "step_mrna", {}), ("step_mirna", "step_mirna", {}),
    ("yeast_alpha", "yeast_alpha", {}), ("yeast_cdc15", "yeast_cdc15", {}),
    ("yeast_alpha_all_genes", "yeast_alpha", {"max_genes": None}),
    ("yeast_cdc15_all_genes", "yeast_cdc15", {"max_genes": None}),
    ("yeast_alpha_w303_2kb", "yeast_alpha", {"cool": W303}),
    ("yeast_cdc15_w303_2kb", "yeast_cdc15", {"cool": W303}),
    ("yeast_alpha_w303_2kb_all_genes", "yeast_alpha", {"cool": W303, "max_genes": None}),
    ("yeast_cdc15_w303_2kb_all_genes", "yeast_cdc15", {"cool": W303, "max_genes": None}),
)
METRICS = ("n_pairs", "spearman", "spearman_same_distance", "p_value", "coexpr_high",
           "coexpr_low")


def run(out_records: list) -> None:
    """One record per dataset x lag x contact measure."""
    set_quiet(True)
    defaults = ForecastConfig()
    wanted = os.environ.get("HICEXPR_BENCH_DATASETS")
    for name, dataset_name, options in DATASETS:
        if wanted and name not in wanted.split(","):
            continue
        if dataset_name.startswith("yeast"):
            options = {"max_genes": defaults.max_genes} | options
        dataset = load_forecast_dataset(dataset_name, **options)
        graph = gene_graph(dataset, defaults.top_k)
        values = dataset.values()
        split = make_splits(values.shape[0], "chronological")[0]
        shape = {"n_times": int(values.shape[0]), "n_genes": int(values.shape[1]),
                 "fit_times": int(len(split.train_times))}
        for lag in COEXPRESSION_LAGS:
            with measure() as m:
                table = contact_coexpression(values, dataset.genes, dataset.pairs,
                                             split.train_times, graph=graph,
                                             n_perm=defaults.n_perm, lag=lag)
            for row in table.to_dict(orient="records"):
                out_records.append({
                    "dataset": name, "protocol": "chronological",
                    "setting": f"{row['measure']}, lag {lag}", "measure": row["measure"],
                    "lag": lag, "metrics": {k: _clean(row[k]) for k in METRICS}, "seeds": [0],
                    "wall_s": m.wall_s, "peak_rss_mb": m.peak_rss_mb, **shape})


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return int(value)


def summarise(records: list) -> str:
    """Markdown note above the tables."""
    return ("Co-expression = |Pearson r| of two genes' changes over the chronological "
            "training time points (never validation or test); lag 1: of one gene's change "
            "with the other's previous change, both directions averaged. "
            "`spearman_same_distance`: rank "
            "correlation within genomic-distance deciles (trans pairs one more stratum); "
            "`p_value`: one-sided, 99 gene permutations; `coexpr_high` / `coexpr_low`: mean "
            "co-expression of the measure's top-decile (or flagged) pairs / the rest; "
            "`proximity` = -log10 distance. Wall time and memory: the diagnostic itself "
            "(the same for every row of a dataset and lag).")


if __name__ == "__main__":
    recs: list = []
    run(recs)
    for r in recs:
        print(r)
