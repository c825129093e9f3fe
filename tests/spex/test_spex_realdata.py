"""Real GM12878 data: local chromatin predicts E116 expression on a held-out chromosome."""

import numpy as np
import pytest

from hicexpr.spex import evaluate as ev
from hicexpr.spex import partners, profiles, spatial
from hicexpr.spex.data import align_genes, read_expression_table, read_gene_table
from hicexpr.spex.heads import LinearHead

CHROMS = ["chr17", "chr19", "chr20", "chr21", "chr22"]


@pytest.mark.slow
def test_gm12878_local_features_predict_expression(data_dir):
    gm = data_dir / "human_gm12878_hg19"
    rpkm = gm / "expression/roadmap/57epigenomes.RPKM.pc.gz"
    genes, expr = align_genes(read_gene_table(gm / "genes/CollapsedGeneBounds.hg19.bed"),
                              read_expression_table(rpkm), chroms=CHROMS)
    assert "ENSG00000141510" in set(genes["gene_id"])  # TP53 on chr17: versionless ids match
    peaks = gm / "epigenome/encode_uniform_peaks"
    src = profiles.from_tracks(
        [peaks / "wgEncodeAwgDnaseUwdukeGm12878UniPk.narrowPeak.gz",
         peaks / "wgEncodeAwgTfbsHaibGm12878Pol2Pcr2xUniPk.narrowPeak.gz"], chroms=CHROMS)
    X = spatial.local_features(genes, src)
    assert X.shape == (len(genes), 20)
    y = ev.log_expression(expr["E116", :].X.ravel())
    split = ev.chromosome_split(genes["chrom"], ["chr21"], ["chr22"])
    pred, _ = ev.fit_predict(LinearHead(), X.to_numpy(), y, split)
    test = split == "test"
    rho = ev.scores(y[test], pred[test])["spearman"]
    assert rho > 0.6, rho  # promoter DNase + Pol II predict expression
    # expressed genes have Pol II at the TSS far more often than silent ones
    pol2 = X["HaibGm12878Pol2Pcr2x|up0.2"].to_numpy() > 0
    assert y[pol2].mean() > y[~pol2].mean() + 3


def test_gm12878_loop_partners_are_gene_anchored(data_dir):
    from hicexpr.io.links import read_loops

    gm = data_dir / "human_gm12878_hg19"
    genes = read_gene_table(gm / "genes/CollapsedGeneBounds.hg19.bed")
    genes = genes[genes["chrom"] == "chr21"].reset_index(drop=True)
    loops = read_loops(gm / "contacts/GSE63525_GM12878_primary+replicate_HiCCUPS_looplist.txt.gz")
    p = partners.partners_from_loops(genes, loops, slop=5_000)
    assert len(p) > 10 and set(p["chrom"]) == {"chr21"}
    tss = genes.set_index("gene_id").loc[p["gene_id"], "tss"].to_numpy()
    assert np.all(np.abs(p["pos"].to_numpy() - tss) >= 20_000)
