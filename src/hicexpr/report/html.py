"""Render the report as one self-contained HTML5 file (CSS inline, figures as data URIs)."""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hicexpr import __version__
from hicexpr.report.load import RunData
from hicexpr.report.sections import FigureEntry, ReportContent

SECTIONS = [("config", "Run and data"), ("metrics", "Metrics"), ("plots", "Plots"),
            ("predictability", "Predictability"), ("enrichment", "Enrichment"),
            ("versions", "Versions")]
ANALYSIS_STEMS = ("predictability", "enrichment")


def render(run: RunData, content: ReportContent, last_step: bool = False) -> str:
    """The full HTML document for ``run`` (``last_step``: written by the run itself, just
    before it marks itself COMPLETE)."""
    title = f"hicexpr {run.task} report: {run.metrics.get('dataset', run.path.name)}"
    body = [f"<h1>{esc(title)}</h1>", _header(run, last_step), _nav()]
    body += [_config_section(run), _metrics_section(run), _plots_section(run, content),
             _predictability_section(content), _enrichment_section(content),
             _versions_section(run)]
    css = resources.files("hicexpr.report").joinpath("style.css").read_text(encoding="utf-8")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n<style>\n{css}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def esc(value: Any) -> str:
    """HTML-escaped text."""
    return html.escape(str(value), quote=True)


def fmt(value: Any) -> str:
    """Numbers with 4 significant digits (p-values in scientific notation when small)."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return "NA"
        if isinstance(value, float):
            return f"{value:.3g}" if value != 0 and abs(value) < 1e-3 else f"{value:.4g}"
        return str(value)
    return str(value)


def table_html(df: pd.DataFrame, row_classes: Sequence[str] | None = None,
               wide: Iterable[str] = ()) -> str:
    """A plain HTML table of ``df`` (escaped, numbers right-aligned)."""
    wide = set(wide)
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    rows = []
    for i, record in enumerate(df.itertuples(index=False)):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = []
        for col, value in zip(df.columns, record, strict=True):
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            klass = ' class="num"' if numeric else (' class="genes"' if col in wide else "")
            text = short_list(str(value)) if col in wide else fmt(value)
            cells.append(f"<td{klass}>{esc(text)}</td>")
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table></div>")


def short_list(genes: str, keep: int = 12) -> str:
    """``a;b;c;...`` cut to ``keep`` genes plus a count of the rest."""
    items = [g for g in genes.split(";") if g]
    if len(items) <= keep:
        return "; ".join(items)
    return "; ".join(items[:keep]) + f"; ... ({len(items)} genes)"


def figure_html(entry: FigureEntry) -> str:
    """``<figure>`` with the PNG embedded as a data URI and a caption."""
    return image_html(entry.png, entry.title, f"<b>{esc(entry.title)}.</b> {esc(entry.caption)} "
                      f"(files: plots/{esc(entry.png.name)}, plots/{esc(entry.svg.name)})")


def image_html(png: Path, alt: str, caption_html: str) -> str:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption_html}</figcaption></figure>")


def _nav() -> str:
    links = " ".join(f'<a href="#{key}">{esc(label)}</a>' for key, label in SECTIONS)
    return f"<nav>{links}</nav>"


def _header(run: RunData, last_step: bool = False) -> str:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if run.complete:
        status = f"finished {esc(run.complete)}"
    elif last_step:
        status = "report written by the run as its last step, just before it was marked COMPLETE"
    else:
        status = "not marked COMPLETE when this report was written"
    parts = [f"<p>Run folder <code>{esc(run.path)}</code>; {status}. "
             f"Report written {stamp} by hicexpr {esc(__version__)}.</p>"]
    if run.metrics.get("leaky"):
        parts.append('<p class="warning"><b>Leaky protocol.</b> This run\'s evaluation protocol '
                     f"({esc(run.metrics.get('protocol', 'unknown'))}) lets test information "
                     "reach training (kept for comparison with published numbers); do not read "
                     "its metrics as generalisation.</p>")
    return "\n".join(parts)


def data_summary(run: RunData) -> pd.DataFrame:
    """Key facts of the run as a two-column table."""
    m = run.metrics
    facts: list[tuple[str, Any]] = [("task", run.task), ("dataset", m.get("dataset", "")),
                                    ("protocol", m.get("protocol", "")),
                                    ("leaky", m.get("leaky", "")),
                                    ("genes", m.get("n_genes", "")),
                                    ("seeds", ", ".join(map(str, m.get("seeds", []))))]
    pred = run.table("predictions")
    if pred is not None:
        facts.append(("prediction rows", len(pred)))
        facts.append(("models", ", ".join(map(str, pd.unique(pred["model"])))))
        if "time" in pred.columns and "split" in pred.columns:
            per_split = pred.drop_duplicates(["split", "time"]).groupby("split")["time"]
            for split, times in per_split:
                facts.append((f"time points in {split}",
                              f"{times.nunique()} ({fmt(times.min())} to {fmt(times.max())})"))
        elif "split" in pred.columns:
            for split, part in pred.groupby("split"):
                facts.append((f"genes in {split}", part["gene"].nunique()))
    facts.append(("files", ", ".join(sorted(p.name for p in run.files.values()))))
    return pd.DataFrame(facts, columns=["item", "value"]).astype({"value": str})


def _config_section(run: RunData) -> str:
    parts = [_h2("config"), table_html(data_summary(run))]
    if run.config_text:
        parts.append("<details><summary>Resolved configuration (config.yaml)</summary>"
                     f"<pre>{esc(run.config_text)}</pre></details>")
    else:
        parts.append('<p class="note">No config.yaml in the run folder.</p>')
    return "\n".join(parts)


def metrics_table(run: RunData) -> pd.DataFrame:
    """Summary metrics as model x metric (``mean ± sd (n)``), baselines flagged."""
    summary = pd.DataFrame(run.metrics.get("summary", []))
    if summary.empty or not {"model", "metric", "mean"} <= set(summary.columns):
        return pd.DataFrame()
    for col, default in (("sd", float("nan")), ("n", "")):
        if col not in summary.columns:
            summary[col] = default
    summary["cell"] = [
        f"{fmt(float(mean))} ± {fmt(float(sd))} (n={n})" if pd.notna(sd) else fmt(float(mean))
        for mean, sd, n in zip(summary["mean"], summary["sd"], summary["n"], strict=True)]
    wide = summary.pivot_table(index="model", columns="metric", values="cell", aggfunc="first",
                               sort=False).reset_index()
    wide.columns.name = None
    baselines = set(run.baselines)
    wide.insert(1, "role", ["baseline" if m in baselines else "model" for m in wide["model"]])
    return wide.fillna("")


def _metrics_section(run: RunData) -> str:
    m = run.metrics
    parts = [_h2("metrics")]
    if not m:
        return parts[0] + '\n<p class="note">No metrics.json in the run folder.</p>'
    parts.append(f"<p>Protocol: <b>{esc(m.get('protocol', 'unknown'))}</b>; leaky: "
                 f"<b>{esc(m.get('leaky', 'unknown'))}</b>; genes: {esc(m.get('n_genes', ''))}; "
                 f"seeds: {esc(', '.join(map(str, m.get('seeds', []))))}. Cells are mean ± sd "
                 "over seeds (n = seeds).</p>")
    lines = summary_lines(run)
    if lines:
        parts.append("<ul class=\"summary\">" + "".join(f"<li>{esc(t)}</li>" for t in lines)
                     + "</ul>")
    table = metrics_table(run)
    if table.empty:
        parts.append('<p class="note">metrics.json has no summary rows.</p>')
    else:
        parts.append(table_html(table, ["baseline" if r == "baseline" else ""
                                        for r in table["role"]]))
    parts += _comparisons_html(run)
    parts += _contact_coexpression_html(run)
    extra = m.get("extra") or {}
    if extra:
        parts.append("<details><summary>Extra metrics</summary>"
                     f"<pre>{esc(_pretty(extra))}</pre></details>")
    return "\n".join(parts)


def comparisons_table(run: RunData) -> pd.DataFrame:
    """comparisons.tsv as model, baseline, ``delta [low, high]`` and its verdict."""
    table = run.table("comparisons")
    cols = {"model", "baseline", "delta_skill", "ci_low", "ci_high", "verdict"}
    if table is None or table.empty or not cols <= set(table.columns):
        return pd.DataFrame()
    cell = [f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]" for d, lo, hi in
            zip(table.delta_skill, table.ci_low, table.ci_high, strict=True)]
    out = pd.DataFrame({"model": table.model, "baseline": table.baseline,
                        "skill difference [95% CI]": cell, "verdict": table.verdict})
    if "horizon" in table.columns and table.horizon.nunique() > 1:
        out.insert(2, "horizon", table.horizon)
    return out


def _comparisons_html(run: RunData) -> list[str]:
    table = comparisons_table(run)
    if table.empty:
        return []
    return ["<h3>Paired comparisons with the baselines</h3>",
            "<p>Skill of the model minus the baseline's on the same test windows (vs "
            "persistence, mean over seeds); 95% bootstrap CI over genes.</p>",
            table_html(table)]


def summary_lines(run: RunData) -> list[str]:
    """Plain-language findings of a forecast run: the best model by skill, how it compares
    with each baseline (paired CIs), and whether the graph's edges carry co-expression."""
    summary = pd.DataFrame(run.metrics.get("summary", []))
    if summary.empty or "metric" not in summary.columns:
        return []
    skill = summary[(summary.metric == "skill") & ~summary.model.isin(run.baselines)]
    if skill.empty:
        return []
    best = skill.loc[skill["mean"].astype(float).idxmax()]
    lines = [f"Best model by skill vs persistence (mean over seeds): {best.model} "
             f"({float(best['mean']):.3f})."]
    lines += _baseline_lines(run, str(best.model))
    edges = _graph_edge_line(run)
    return lines + ([edges] if edges else [])


def _baseline_lines(run: RunData, model: str) -> list[str]:
    table = run.table("comparisons")
    if table is None or table.empty or "verdict" not in table.columns:
        return []
    rows = table[(table.model == model) & (table.baseline != "persistence")]
    if "horizon" in rows.columns:
        rows = rows[rows.horizon == rows.horizon.min()]
    return [f"{model} vs {r.baseline}: {r.delta_skill:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] "
            f"({r.verdict})." for r in rows.itertuples()]


def _graph_edge_line(run: RunData) -> str:
    table = run.table("contact_coexpression")
    if table is None or "measure" not in table.columns:
        return ""
    rows = table[table.measure == "in_graph"]
    parts, carried = [], False
    for row in rows.itertuples():
        rho, p = float(row.spearman_same_distance), float(row.p_value)
        if not np.isfinite(rho):
            continue
        lag = int(getattr(row, "lag", 0))
        what = "simultaneous changes" if lag == 0 else f"changes {lag} step(s) apart"
        parts.append(f"{what} rho {rho:+.3f} (p = {p:.2f})")
        carried = carried or bool(np.isfinite(p) and p < 0.05 and rho > 0)
    if not parts:
        return ""
    verdict = ("the edges join genes whose changes go together more than other pairs' do."
               if carried else "the edges do not join genes whose changes go together beyond "
               "chance, so the graph cannot help much here.")
    return ("Graph edges vs co-expression on the training times, at equal genomic distance: "
            + "; ".join(parts) + ": " + verdict)


def contact_coexpression_table(run: RunData) -> pd.DataFrame:
    """contact_coexpression.tsv, rounded, one row per contact measure."""
    table = run.table("contact_coexpression")
    cols = ["measure", "n_pairs", "spearman", "spearman_same_distance", "p_value",
            "coexpr_high", "coexpr_low"]
    if table is None or table.empty or not set(cols) <= set(table.columns):
        return pd.DataFrame()
    out = table[(["lag"] if "lag" in table.columns else []) + cols].copy()
    for col in cols[2:]:
        fmt = "{:+.3f}" if col.startswith("spearman") else "{:.3f}"
        out[col] = [fmt.format(v) if np.isfinite(v) else "" for v in out[col].astype(float)]
    return out


def _contact_coexpression_html(run: RunData) -> list[str]:
    table = contact_coexpression_table(run)
    if table.empty:
        return []
    raw = run.table("contact_coexpression")
    leaky = raw is not None and "leaky" in raw.columns and bool(raw["leaky"].any())
    return ["<h3>Do the contacts join genes that change together?</h3>",
            "<p>Co-expression of a gene pair = |Pearson r| of the two genes' changes over the "
            "training time points" + (" (<b>leaky protocol: every time point</b>)" if leaky
                                      else "") + "; lag 1: of one gene's change with the "
            "other's previous change (both directions averaged), what a one-step forecaster "
            "can use. Rank correlation with each contact "
            "measure over all pairs, and within genomic-distance deciles (a measure that only "
            "restates distance scores about 0 there); p: one-sided, gene permutations. "
            "High / low: mean co-expression of the pairs in the measure's top decile (or "
            "with the flag) and of the rest. A graph model can only gain from edges that "
            "carry co-expression.</p>",
            table_html(table)]


def _plots_section(run: RunData, content: ReportContent) -> str:
    parts = [_h2("plots")]
    main = [f for f in content.figures if not f.stem.startswith(ANALYSIS_STEMS)]
    parts += [figure_html(f) for f in main] or ['<p class="note">No figures.</p>']
    made = {f.png.name for f in content.figures}
    others = sorted(p for p in (run.path / "plots").glob("*.png") if p.name not in made)
    if others:
        parts.append("<h3>Other figures in the run folder</h3>")
        parts += [image_html(p, p.stem, f"plots/{esc(p.name)}") for p in others]
    return "\n".join(parts)


def _predictability_section(content: ReportContent) -> str:
    parts = [_h2("predictability")]
    if content.scores is None:
        return "\n".join(parts + [f'<p class="note">{esc(n)}</p>' for n in content.notes])
    s = content.scores
    parts.append(f"<p>Score: {esc(content.score_description)}. {len(s)} genes; median "
                 f"{fmt(float(s.median()))}, range {fmt(float(s.min()))} to "
                 f"{fmt(float(s.max()))}.</p>")
    if content.predictability is not None:
        parts.append(table_html(content.predictability))
    parts += [figure_html(f) for f in content.figures if f.stem.startswith("predictability")]
    parts += [f'<p class="note">{esc(n)}</p>' for n in content.notes]
    return "\n".join(parts)


def _enrichment_section(content: ReportContent) -> str:
    parts = [_h2("enrichment"), f"<p>{esc(content.gene_set_note or 'not run')}</p>"]
    figs = {f.title: f for f in content.figures if f.stem.startswith("enrichment")}
    for result in content.enrichment:
        parts.append(f"<h3>{esc(result.title)}</h3><p>{esc(result.method)}</p>")
        if result.table is not None and len(result.table):
            parts.append(table_html(result.table.head(15), wide=("genes", "lead_genes")))
        if result.note:
            parts.append(f'<p class="note">{esc(result.note)}</p>')
        if result.title in figs:
            parts.append(figure_html(figs[result.title]))
    return "\n".join(parts)


def _versions_section(run: RunData) -> str:
    if not run.versions:
        return _h2("versions") + '\n<p class="note">No versions.json in the run folder.</p>'
    rows = pd.DataFrame([(k, _pretty(v) if isinstance(v, (dict, list)) else str(v))
                         for k, v in run.versions.items()], columns=["package", "version"])
    return _h2("versions") + "\n" + table_html(rows)


def _h2(key: str) -> str:
    return f'<h2 id="{key}">{esc(dict(SECTIONS)[key])}</h2>'


def _pretty(obj: Any) -> str:
    import json

    return json.dumps(obj, indent=2, default=str)
