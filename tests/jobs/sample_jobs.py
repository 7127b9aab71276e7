"""Jobs the scheduler tests schedule (found by `module:function`, like the real ones)."""

from __future__ import annotations

import os
import threading

from flask import Flask

from jobs.scheduler import runner_for, should_stop


def record_run(app: Flask) -> None:
    """Note which lease holder ran: in the app's JOB_RUNS list, or as a line of the JOB_LOG file."""
    runner = runner_for(app)
    owner = runner.lease.owner if runner is not None and runner.lease is not None else f"?:{os.getpid()}:?"
    runs: list[str] | None = app.config.get("JOB_RUNS")
    if runs is not None:
        runs.append(owner)
        return
    # One short O_APPEND write per line: lines from several processes never mix.
    with open(app.config["JOB_LOG"], "a", encoding="utf-8") as log:
        log.write(owner + "\n")


def fail(app: Flask) -> None:
    """Always fails."""
    raise RuntimeError("the job broke")


def block(app: Flask) -> None:
    """Say it started (JOB_STARTED), then wait until JOB_RELEASE is set."""
    started: threading.Event = app.config["JOB_STARTED"]
    release: threading.Event = app.config["JOB_RELEASE"]
    started.set()
    release.wait(10)


def note_should_stop(app: Flask) -> None:
    """Append what `should_stop(app)` says to JOB_RUNS."""
    runs: list[object] = app.config["JOB_RUNS"]
    runs.append(should_stop(app))
