"""Expression time courses as AnnData (obs = time points, var = genes).

Input: a genes x samples table (TSV/CSV, optionally gzipped; first column = gene id, header =
sample names carrying times, such as ``alpha_35``, ``10min``, ``E16.5``) or an ``.h5ad``.
Replicate samples of one time point are averaged (``obs["n_replicates"]`` counts them) and time
points are sorted.
"""

from __future__ import annotations

import csv
import itertools
import logging
import os
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from hicexpr.io.text import compression, not_utf8, open_text, to_numbers, unversioned
from hicexpr.io.timelabels import TimeLabelError, label_times, parse_time_label
from hicexpr.lib.errors import InputError, first_line

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
GENE_COLUMNS = ("chrom", "start", "end", "strand", "tss", "symbol")
# obs columns holding sample times (first present wins) and the unit their plain numbers are in
TIME_COLUMNS = {"time": None, "timepoint": None, "time_point": None, "minutes": "min",
                "hours": "h", "hpf": "h", "day": "d", "days": "d"}


def read_expression(
    path: PathLike,
    sample_times: PathLike | Mapping[str, float] | None = None,
    genes: PathLike | pd.DataFrame | None = None,
) -> ad.AnnData:
    """Read an expression matrix and average replicates per time point.

    Args:
        path: genes x samples TSV/CSV (``.gz`` allowed) or ``.h5ad`` (obs = samples).
        sample_times: 2-column table ``sample -> time`` (or a mapping); when None, times come
            from the sample names (numeric, ``alpha_35``, ``10min``, ``day3``, ``E16.5``, ...;
            see :mod:`hicexpr.io.timelabels`, units converted to the smallest named); for an
            h5ad from the first ``obs`` column of ``TIME_COLUMNS`` (numbers or such labels;
            plain numbers in ``hours`` / ``minutes`` / ``day(s)`` / ``hpf`` take that unit),
            else from the obs names.
        genes: gene table (path or DataFrame with ``gene_id``) joined onto ``var``.

    Returns:
        AnnData with ``X`` [time points x genes], ``obs["time"]`` (sorted), ``obs["n_replicates"]``,
        ``obs["samples"]``, ``var`` indexed by gene id and ``uns["provenance"]``.

    Raises:
        InputError: unreadable file, non-numeric value, duplicate gene, sample without a time.
    """
    file = Path(path)
    if file.name.endswith(".h5ad") and file.is_file():
        frame, labels, where = _read_h5ad(file)
    else:
        frame, labels, where = read_gene_matrix(file), None, "header"
    try:
        times, unit = _sample_times(file, list(frame.columns), sample_times, labels, where)
    except InputError as exc:
        if where == "header" and sample_times is None and _looks_transposed(frame):
            raise InputError(file, exc.where, "genes as rows and samples as columns (the first "
                             "column holds sample times: transpose the table)",
                             exc.got) from None
        raise
    extra = {"time_unit": unit} if unit else None
    adata = expression_anndata(frame, times, source=str(file), provenance=extra)
    if genes is not None:
        table = _gene_table(genes)
        adata = join_genes(adata, table)
        if not adata.var["placed"].any() and _names_genes(frame.columns, table):
            raise InputError(file, "line 1", "genes as rows and samples as columns (the header "
                             "names genes of the gene table: transpose the table)",
                             str(frame.columns[0]))
    return adata


def expression_anndata(
    frame: pd.DataFrame,
    times: Sequence[float],
    source: str = "",
    provenance: Mapping[str, object] | None = None,
) -> ad.AnnData:
    """Build the time x gene AnnData from a genes x samples frame, averaging replicates.

    Args:
        frame: values [genes x samples], index = gene ids (unique), one column per sample.
        times: the time of each column of ``frame``.
        source: where the values came from (kept in ``uns["provenance"]``).
        provenance: extra provenance entries.
    """
    if len(times) != frame.shape[1]:
        raise InputError(source, "header", f"{frame.shape[1]} sample times", len(times))
    times_arr = np.asarray(times, dtype=float)
    values = frame.to_numpy(dtype=float).T  # samples x genes
    order = np.unique(times_arr)
    X = np.empty((len(order), values.shape[1]), dtype=float)
    n_rep = np.zeros(len(order), dtype=int)
    samples: list[str] = []
    columns = [str(c) for c in frame.columns]
    for i, t in enumerate(order):
        sel = times_arr == t
        block = values[sel]
        with np.errstate(all="ignore"):
            counts = np.sum(~np.isnan(block), axis=0)
            X[i] = np.where(counts > 0, np.nansum(block, axis=0) / np.maximum(counts, 1), np.nan)
        n_rep[i] = int(sel.sum())
        samples.append(",".join(c for c, s in zip(columns, sel, strict=True) if s))
    obs = pd.DataFrame(
        {"time": order, "n_replicates": n_rep, "samples": samples},
        index=pd.Index([format(t, ".12g") for t in order], name="time_point"),
    )
    var = pd.DataFrame(index=pd.Index([str(g) for g in frame.index], name="gene_id"))
    adata = ad.AnnData(X=X, obs=obs, var=var)
    adata.uns["provenance"] = {
        "source": source,
        "n_samples": int(frame.shape[1]),
        "aggregation": "mean of replicate samples per time point (NaN ignored)",
        **dict(provenance or {}),
    }
    return adata


def join_genes(adata: ad.AnnData, genes: PathLike | pd.DataFrame) -> ad.AnnData:
    """Add gene coordinates (``chrom, start, end, strand, tss, symbol``) to ``adata.var``.

    Genes are matched by ``gene_id`` first, then by ``symbol`` (case-insensitive), then by
    accession without its version (``ENSG00000141510.16`` = ``ENSG00000141510``, either side);
    genes absent from the table keep missing coordinates (``var["placed"]`` is False).
    """
    table = _gene_table(genes).assign(_annotation=lambda t: t["gene_id"].astype(str))
    by_id = table.drop_duplicates("gene_id").set_index("gene_id")
    lookups = [_keyed(table, table["_annotation"].str.upper()),
               _keyed(table, table["symbol"].astype(str).str.upper()),
               _keyed(table, unversioned(pd.Index(table["_annotation"])))]
    genes = pd.Index([str(g) for g in adata.var_names])
    joined = by_id.reindex(genes)
    matched = genes.isin(by_id.index)
    keys = (genes.str.upper(), genes.str.upper(), unversioned(genes))
    for key, lookup in zip(keys, lookups, strict=True):
        todo = ~matched & key.isin(lookup.index)
        if todo.any():
            joined.loc[todo] = lookup.reindex(key[todo]).reindex(columns=joined.columns).to_numpy()
            matched |= todo
    _warn_ambiguous_symbols(table, genes[matched & ~genes.isin(by_id.index)])
    twice = joined["_annotation"].notna() & joined["_annotation"].duplicated()
    if twice.any():  # one gene under two names (id and symbol) would be two graph nodes
        first = joined["_annotation"][twice].iloc[0]
        log.warning("%d expression rows name a gene an earlier row already matched (e.g. %s and "
                    "%s are both %s): not placed", int(twice.sum()), genes[twice][0],
                    genes[(joined["_annotation"] == first).to_numpy()][0], first)
        joined.loc[twice.to_numpy(), :] = np.nan
    joined.index = adata.var_names
    out = adata.copy()
    for col in GENE_COLUMNS:
        if col in joined.columns:
            out.var[col] = joined[col].to_numpy()
    out.var["placed"] = out.var["chrom"].notna() if "chrom" in out.var else False
    n_missing = int((~out.var["placed"]).sum())
    if n_missing:  # a warning when most are missing: ids and table likely name genes differently
        level = logging.WARNING if 2 * n_missing > out.n_vars else logging.INFO
        log.log(level, "%d of %d genes are not in the gene table (e.g. %s)", n_missing,
                out.n_vars, out.var_names[~out.var["placed"].to_numpy(dtype=bool)][0])
    return out


def _keyed(table: pd.DataFrame, key: pd.Series | pd.Index) -> pd.DataFrame:
    """``table`` indexed by ``key`` (first row per key)."""
    return table.assign(_key=np.asarray(key)).drop_duplicates("_key").set_index("_key")


def _warn_ambiguous_symbols(table: pd.DataFrame, names: pd.Index) -> None:
    """Warn when names matched by symbol name several genes of the table (first one used)."""
    counts = table["symbol"].astype(str).str.upper().value_counts()
    shared = [n for n in names if counts.get(n.upper(), 0) > 1]
    if shared:
        log.warning("%d genes matched by a symbol that several genes of the table share (e.g. "
                    "%s): the first one is used", len(shared), shared[0])


def read_gene_matrix(path: PathLike, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A genes x samples table as floats (NaN = missing): TSV, CSV (by extension; ``.gz`` ok,
    a header one cell short as R's ``write.table`` writes it is fine) or ``.h5ad``
    (obs = samples). Gene ids must be unique.

    Args:
        columns: read only these samples (other columns, e.g. a symbol or transcript list
            next to the values, are not parsed); None: every column.

    Raises:
        InputError: unreadable file, duplicate gene id, non-numeric or infinite value, a
            requested column missing.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(file, "", "an existing expression file", "no such file")
    if file.name.endswith(".h5ad"):
        frame = _read_h5ad(file)[0]
        if columns is not None:
            _column_positions(file, "obs_names", [str(c) for c in frame.columns], columns)
            frame = frame[list(columns)]
        return frame
    return _read_table(file, columns)


def _column_positions(file: Path, where: str, header: list[str],
                      columns: Sequence[str]) -> list[int]:
    """Positions of ``columns`` in ``header``; InputError naming the first one missing."""
    missing = [c for c in columns if c not in header]
    if missing:
        shown = ", ".join(header[:8]) + (", ..." if len(header) > 8 else "")
        raise InputError(file, where, f"a sample column named {missing[0]} (the table has: "
                         f"{shown})", "none")
    return [header.index(c) for c in columns]


def _first_lines(file: Path, n: int) -> list[str]:
    with open_text(file) as fh:
        return [line.rstrip("\r\n") for line in itertools.islice(fh, n)]


def _check_header_line(file: Path, line: str, sep: str) -> None:
    """Refuse a first line that cannot be the header: a comment, or cells split by another
    delimiter than the file name says (``;`` in a ``.csv`` saved with decimal commas)."""
    if line.startswith("#") and sep not in line:  # a '#gene<TAB>S1' header is a header
        raise InputError(file, "line 1", "the header (gene id column, then sample names); "
                         "comment lines are not read: remove them", line[:40])
    kind = {",": "comma", "\t": "tab"}[sep]
    if sep not in line:
        other = next((name for d, name in ((";", "semicolons"), (",", "commas"),
                                           ("\t", "tabs")) if d != sep and d in line), None)
        if other is not None:
            named = ".csv" if sep == "," else "not .csv"
            raise InputError(file, "line 1", f"{kind}-separated cells, as the file name says "
                             f"({named})", f"cells separated by {other}")


def _read_table(file: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    name = file.name.lower().removesuffix(".gz")
    sep = "," if name.endswith(".csv") else "\t"
    try:
        lines = _first_lines(file, 2)
        _check_header_line(file, lines[0] if lines else "", sep)
        head = [next(csv.reader([line], delimiter=sep)) for line in lines]
        if len(head) < 2:
            raise InputError(file, "", "a header and at least one gene row",
                             "an empty file" if not head else "a header only")
        n_data = len(head[1])
        _check_row_lengths(file, sep, n_data)
        body = pd.read_csv(file, sep=sep, header=None, dtype=str, keep_default_na=False,
                           skiprows=1, names=range(max(n_data, len(head[0]))),
                           compression=compression(file))
    except UnicodeDecodeError as exc:
        raise not_utf8(file, exc) from None
    except (OSError, EOFError, zlib.error, pd.errors.ParserError, pd.errors.EmptyDataError,
            csv.Error) as exc:
        raise InputError(file, "", "a genes x samples table", first_line(exc)) from None
    if n_data == len(head[0]) + 1 and body[n_data - 1].fillna("").str.strip().eq("").all() \
            and not _names_a_sample(head[0][0], file):
        body = body.drop(columns=n_data - 1)  # a delimiter at the end of every gene row
        n_data -= 1
    header = [h.strip() for h in (head[0] if n_data == len(head[0]) + 1 else head[0][1:])]
    if len(header) == len(head[0]):
        log.info("%s: the header has no cell for the gene ids (as R writes it): the first "
                 "column is read as gene ids", file.name)
    if body.shape[1] < 2:
        kind = "comma" if sep == "," else "tab"
        raise InputError(file, "line 2", f"{kind}-separated cells: a gene id, then one value "
                         "per sample", "one cell")
    if len(header) != body.shape[1] - 1:
        raise InputError(file, "line 1", "one sample name per value column "
                         f"({body.shape[1] - 1} on line 2)", f"{len(header)} names")
    genes = body.iloc[:, 0].fillna("").str.strip()
    if (genes == "").any():  # a row without its gene would be a nameless graph node
        row = int(np.flatnonzero((genes == "").to_numpy())[0])
        raise InputError(file, f"line {row + 2}, column 1", "a gene id", "an empty cell")
    dup = genes[genes.duplicated()]
    if len(dup):
        raise InputError(file, f"line {int(dup.index[0]) + 2}", "unique gene ids", dup.iloc[0])
    if "" in header:
        col = header.index("") + 2
        raise InputError(file, f"line 1, column {col}", "a sample name", "an empty header")
    if columns is None:
        numbers = parse_numbers(file, body.iloc[:, 1:], first_line=2, first_column=2)
        return pd.DataFrame(numbers, index=pd.Index(genes.to_numpy(), name="gene_id"),
                            columns=header)
    keep = _column_positions(file, "line 1", header, columns)
    numbers = np.column_stack([  # errors name the file's column, whichever are read
        parse_numbers(file, body.iloc[:, [k + 1]], first_line=2, first_column=k + 2)
        for k in keep])
    return pd.DataFrame(numbers, index=pd.Index(genes.to_numpy(), name="gene_id"),
                        columns=[header[k] for k in keep])


def _check_row_lengths(file: Path, sep: str, n_data: int) -> None:
    """Refuse a row with another number of cells than line 2: a cut-off row would have its
    last samples read as missing (the table reader pads it), a longer one a parser message."""
    with open_text(file) as fh:
        for number, row in enumerate(csv.reader(fh, delimiter=sep), start=1):
            if number > 2 and row and len(row) != n_data:
                raise InputError(file, f"line {number}", f"{n_data} cells as on line 2",
                                 f"{len(row)}")


MISSING_TOKENS = ("", "NA", "NaN", "nan", "null", ".", "N/A", "#N/A", "n/a", "NULL", "-")


def _names_a_sample(first_header_cell: str, file: Path) -> bool:
    """Header one cell short and every row ending in an empty cell: R's layout with an empty
    last sample when the first header cell names a time (``0h``), else (``gene_id``) a
    delimiter at the end of every row."""
    if parse_time_label(first_header_cell.strip()) is None:
        return False
    log.warning("%s: the header has no cell for the gene ids and the last sample is empty in "
                "every gene (R's write.table layout)", file.name)
    return True


def parse_numbers(
    source: PathLike, cells: pd.DataFrame, first_line: int, first_column: int
) -> np.ndarray:
    """Text cells -> float array (exact decimal parsing); missing tokens -> NaN.

    Raises:
        InputError: naming the line and column of the first cell that is not a number.
    """
    tokens = cells.fillna("").to_numpy(dtype=str)
    tokens = np.char.strip(tokens)
    missing = np.isin(tokens, MISSING_TOKENS)
    try:
        values = np.where(missing, "nan", tokens).astype(float)
    except ValueError:
        values = None
    if values is not None:
        infinite = np.argwhere(np.isinf(values))
        if len(infinite):  # inf would silently break scaling and metrics downstream
            r, c = infinite[0]
            raise InputError(source, f"line {r + first_line}, column {c + first_column}",
                             "a finite number (or NA)", str(tokens[r, c]))
        return values
    for r, c in np.argwhere(~missing):
        try:
            float(tokens[r, c])
        except ValueError:
            where = f"line {r + first_line}, column {c + first_column}"
            raise InputError(source, where, "a number", str(tokens[r, c])) from None
    raise InputError(source, "", "numbers", "an unparseable value")  # pragma: no cover


def _read_h5ad(file: Path) -> tuple[pd.DataFrame, list[str] | None, str]:
    """Values [genes x samples], the sample time labels (the first of ``TIME_COLUMNS`` in
    ``obs``; None: none there, the obs names are read) and where those labels are."""
    try:
        adata = ad.read_h5ad(file)
    except Exception as exc:  # noqa: BLE001 - h5py/anndata raise many types
        raise InputError(file, "", "a readable .h5ad file", first_line(exc)) from None
    X = adata.X.toarray() if hasattr(adata.X, "toarray") else np.asarray(adata.X)
    infinite = np.argwhere(np.isinf(X))
    if len(infinite):  # as in text tables: inf would break scaling and metrics downstream
        r, c = infinite[0]
        raise InputError(file, f"X[{adata.obs_names[r]}, {adata.var_names[c]}]",
                         "a finite number (or NaN)", str(X[r, c]))
    genes = adata.var_names.astype(str)
    if genes.duplicated().any():  # as in text tables: one gene would be two graph nodes
        i = int(np.flatnonzero(genes.duplicated())[0])
        raise InputError(file, f"var_names[{i}]", "unique gene ids", genes[i])
    frame = pd.DataFrame(X.T, index=genes, columns=adata.obs_names)
    column = next((c for c in TIME_COLUMNS if c in adata.obs), None)
    if column is None:
        return frame, None, "obs_names"
    labels = [str(v) for v in adata.obs[column]]
    unit = TIME_COLUMNS[column]
    if unit is not None:  # plain numbers in a column named after its unit
        labels = [f"{v}{unit}" if _is_number(v) else v for v in labels]
    return frame, labels, f'obs["{column}"]'


def _names_genes(labels: pd.Index, table: pd.DataFrame) -> bool:
    """True when most ``labels`` are ids or symbols of the gene table (any case, any version)."""
    known = set(table["gene_id"].astype(str).str.upper()) | set(
        table["symbol"].astype(str).str.upper()) | set(unversioned(table["gene_id"]).str.upper())
    names = pd.Index([str(v) for v in labels])
    found = names.str.upper().isin(known) | unversioned(names).str.upper().isin(known)
    return bool(found.sum() > len(names) / 2)


def _looks_transposed(frame: pd.DataFrame) -> bool:
    """Samples x genes: fewer rows than columns, every row label names a time, most column
    labels do not (numeric Entrez ids in a genes x samples table have more rows)."""
    if frame.shape[0] >= frame.shape[1]:
        return False
    try:
        label_times([str(v) for v in frame.index])
    except TimeLabelError:
        return False
    timed = sum(parse_time_label(str(c)) is not None for c in frame.columns)
    return timed < frame.shape[1] / 2


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _sample_times(
    file: Path,
    samples: list[str],
    sample_times: PathLike | Mapping[str, float] | None,
    labels: list[str] | None = None,
    where: str = "header",
) -> tuple[list[float], str | None]:
    """Each sample's time and the unit named by its label (None: not named). Times come from
    ``sample_times`` when given, else from ``labels`` (default: the sample names) at ``where``
    (``"header"``: line 1 of a table; else e.g. ``obs["time"]`` of an h5ad)."""
    if sample_times is not None:
        if isinstance(sample_times, Mapping):
            mapping = {str(k): float(v) for k, v in sample_times.items()}
        else:
            mapping = read_sample_times(sample_times)
        missing = [s for s in samples if s not in mapping]
        if missing:
            src = sample_times if not isinstance(sample_times, Mapping) else "sample_times"
            raise InputError(src, f"sample '{missing[0]}'", "a time for every sample", "none")
        return [float(mapping[s]) for s in samples], None
    labels = samples if labels is None else labels
    try:
        times, unit = label_times(labels)
    except TimeLabelError as exc:
        place = f"line 1, column {exc.index + 2}" if where == "header" else \
            f"{where}[{exc.index}]"
        raise InputError(file, place, f"{exc.expected} (or a sample_times table)",
                         labels[exc.index]) from None
    if unit is not None:
        log.info("%s: sample times in %s, read from %s", file.name, unit,
                 "the sample names" if where == "header" else where)
    return times, unit


def read_sample_times(path: PathLike) -> dict[str, float]:
    """Read a 2-column ``sample, time`` table (TSV/CSV, header optional)."""
    file = Path(path)
    sep = "," if file.name.lower().removesuffix(".gz").endswith(".csv") else "\t"
    try:
        raw = pd.read_csv(file, sep=sep, header=None, dtype=str, keep_default_na=False,
                          compression=compression(file))
    except UnicodeDecodeError as exc:
        raise not_utf8(file, exc) from None
    except (OSError, EOFError, zlib.error, pd.errors.ParserError, pd.errors.EmptyDataError
            ) as exc:
        raise InputError(file, "", "a sample -> time table", first_line(exc)) from None
    if raw.shape[1] < 2:
        raise InputError(file, "line 1", "2 columns (sample, time)", f"{raw.shape[1]} column")
    mapping: dict[str, float] = {}
    for i, (sample, value) in enumerate(zip(raw[0], raw[1], strict=True)):
        try:
            time = float(value)
        except ValueError:
            if i == 0:
                continue  # header line
            raise InputError(file, f"line {i + 1}", "a numeric time", value) from None
        if not np.isfinite(time):
            raise InputError(file, f"line {i + 1}", "a finite time", value)
        if sample.strip() in mapping:
            raise InputError(file, f"line {i + 1}", "each sample once", f"{sample.strip()} again")
        mapping[sample.strip()] = time
    return mapping


def _gene_table(genes: PathLike | pd.DataFrame) -> pd.DataFrame:
    if isinstance(genes, pd.DataFrame):
        table = genes.copy()
        if "gene_id" not in table.columns:
            table = table.rename_axis("gene_id").reset_index()
    else:
        table = _read_gene_file(Path(genes))
    if "symbol" not in table.columns:
        table["symbol"] = table["gene_id"]
    if "tss" not in table.columns and {"start", "end", "strand"} <= set(table.columns):
        table["tss"] = np.where(table["strand"] == "-", table["end"] - 1, table["start"])
    return table


def _read_gene_file(file: Path) -> pd.DataFrame:
    try:
        from hicexpr.io.genes import read_genes  # written by another module
    except ImportError:
        read_genes = None
    if read_genes is not None:
        return read_genes(file)
    try:
        raw = pd.read_csv(file, sep="\t", header=None, comment="#", dtype=str)
    except (OSError, pd.errors.ParserError) as exc:
        raise InputError(file, "", "a BED gene table", first_line(exc)) from None
    if raw.shape[1] < 4:
        raise InputError(file, "line 1", "BED columns chrom, start, end, name", raw.shape[1])
    table = pd.DataFrame(
        {
            "chrom": raw[0],
            "start": to_numbers(raw[1], errors="coerce"),
            "end": to_numbers(raw[2], errors="coerce"),
            "gene_id": raw[3],
            "strand": raw[5] if raw.shape[1] > 5 else "+",
        }
    )
    if table[["start", "end"]].isna().any().any():
        line = int(table[["start", "end"]].isna().any(axis=1).to_numpy().argmax()) + 1
        raise InputError(file, f"line {line}", "integer start and end", "a non-number")
    return table
