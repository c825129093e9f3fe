"""The last step every model run shares: the HTML report if asked, then ``COMPLETE``."""

from __future__ import annotations

from hicexpr.lib.runs import RunFolder


def finish_run(run: RunFolder, report: bool) -> None:
    """Write ``report.html`` (:func:`hicexpr.report.write_report`) if ``report``, then mark the
    run complete (a report that fails leaves the run incomplete)."""
    if report:
        from hicexpr.report import write_report

        write_report(run.path, last_step=True)
    run.complete()


__all__ = ["finish_run"]
