import gzip

import numpy as np
import pytest

from hicexpr.io.links import read_bengi, read_loops
from hicexpr.io.tracks import read_peaks, read_segmentation, track_name
from hicexpr.lib.errors import InputError


def test_read_peaks_values_and_chrom_names(tmp_path):
    path = tmp_path / "x.narrowPeak.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("track name=x\n1\t100\t250\t.\t7\t.\t3.5\t-1\t-1\t-1\n"
                 "chr2\t10\t20\t.\t9\t.\t1.5\t-1\t-1\t-1\n")
    peaks = read_peaks(path)
    assert peaks["chrom"].tolist() == ["chr1", "chr2"] and peaks["value"].tolist() == [1.0, 1.0]
    assert read_peaks(path, "signal")["value"].tolist() == [3.5, 1.5]
    assert read_peaks(path, "score")["value"].tolist() == [7.0, 9.0]
    assert track_name("wgEncodeAwgTfbsBroadGm12878CtcfUniPk.narrowPeak.gz") == "BroadGm12878Ctcf"


def test_bad_intervals_name_file_and_row(tmp_path):
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\t10\t20\nchr1\tten\t30\n")
    with pytest.raises(InputError, match=r"bad.bed: row 2: expected integer start and end"):
        read_peaks(bad)
    backwards = tmp_path / "back.bed"
    backwards.write_text("chr1\t10\t20\nchr1\t50\t30\n")
    with pytest.raises(InputError, match="end >= start"):
        read_peaks(backwards)
    with pytest.raises(InputError, match="at least 4 columns"):
        read_segmentation(backwards)


def test_read_loops_header_and_counts(tmp_path):
    path = tmp_path / "loops.txt"
    path.write_text("chr1\tx1\tx2\tchr2\ty1\ty2\tcolor\to\te_bl\n"
                    "10\t100\t200\t10\t900\t1000\t0,0,0\t95\t3.2\n")
    loops = read_loops(path)
    assert loops.iloc[0].tolist() == ["chr10", 100, 200, "chr10", 900, 1000, 95]


def test_read_bengi_positives_and_gene_ids(tmp_path):
    rows = [
        "1\t14111.0\tchr16\t88874\t88924\tE1\tchr16\t101510\t103510\t"
        "chr16:103009-103010|GM12878|ENSG00000161981.6|ENST1|+",
        "1\t14111.0\tchr16\t88874\t88924\tE1\tchr16\t101510\t103510\t"
        "chr16:103200-103201|GM12878|ENSG00000161981.6|ENST2|+",
        "0\t1.0\tchr16\t5\t10\tE2\tchr16\t1\t2\tchr16:7-8|GM12878|ENSG0002.1|ENST3|-",
    ]
    path = tmp_path / "links.tsv"
    path.write_text("\n".join(rows) + "\n")
    links = read_bengi(path)
    assert len(links) == 1  # negatives dropped, transcripts of one gene collapsed
    assert links.loc[0, "gene_id"] == "ENSG00000161981" and links.loc[0, "tss"] == 103009
    assert len(read_bengi(path, positives_only=False)) == 2


def test_real_link_tables(data_dir):
    contacts = data_dir / "human_gm12878_hg19" / "contacts"
    loops = read_loops(contacts / "GSE63525_GM12878_primary+replicate_HiCCUPS_looplist.txt.gz")
    assert len(loops) > 9000 and loops["chrom1"].str.startswith("chr").all()
    assert np.all(loops["end1"] > loops["start1"]) and loops["count"].min() > 0
    pol2 = read_bengi(contacts / "GM12878.RNAPII-ChIAPET.bengi.tsv.gz")
    assert pol2["gene_id"].str.match(r"^ENSG\d+$").all() and pol2["gene_id"].nunique() > 3000


@pytest.mark.parametrize(("name", "header"), [
    ("pol2.bedGraph.gz", ""), ("pol2.bdg", ""), ("pol2.txt", 'track type=bedGraph name="p"\n')])
def test_bedgraph_gives_its_signal_not_binary_coverage(tmp_path, name, header):
    text = header + "chr1\t0\t100\t0.5\n1\t100\t300\t2.25\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    df = read_peaks(path)  # the default value="binary" would make a genome-wide track all 1.0
    assert df["value"].tolist() == [0.5, 2.25]
    assert df["chrom"].tolist() == ["chr1", "chr1"]
    assert track_name(path) == "pol2" or name == "pol2.txt"


def test_bedgraph_value_must_be_a_number(tmp_path):
    path = tmp_path / "signal.bedGraph"
    path.write_text("chr1\t0\t100\t0.5\nchr1\t100\t200\thigh\n")
    with pytest.raises(InputError, match=r"signal.bedGraph: row 2, column 4: expected a finite "
                                         r"number, got 'high'"):
        read_peaks(path)


def test_loop_and_link_errors_name_the_line_and_column_of_the_file(tmp_path) -> None:
    loops = tmp_path / "loops.bedpe"  # no header; a comment row before the bad one
    loops.write_text("chr1\t0\t10\tchr1\t20\t30\n#note\nchr1\t0\t10\tchr1\tinf\t30\n")
    with pytest.raises(InputError, match=r"loops\.bedpe: line 3, column 5: expected a finite "
                                         r"number, got 'inf'"):
        read_loops(loops)
    header = tmp_path / "hiccups.txt"
    header.write_text("chr1\tx1\tx2\tchr2\ty1\ty2\to\n1\t0\t10\t1\t20\tx\t5\n")
    with pytest.raises(InputError, match=r"hiccups\.txt: line 2, column 6: "):
        read_loops(header)
    locus = "chr1:100-101|GM12878|ENSG1.1|GENE"
    links = tmp_path / "bengi.tsv"  # a negative link (label 0) before the bad positive one
    links.write_text(f"0\tx\tchr1\t1\t2\t.\t.\t.\t.\t{locus}\n"
                     f"1\tx\tchr1\t1\tend\t.\t.\t.\t.\t{locus}\n")
    with pytest.raises(InputError, match=r"bengi\.tsv: line 2, column 5: expected a finite "
                                         r"number, got 'end'"):
        read_bengi(links)
