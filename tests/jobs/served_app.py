"""`wsgi.py` for the process tests: a recording job and short lease times, from the environment.

gunicorn tests.jobs.served_app:app   (DATABASE_URL, INSTANCE_PATH, JOB_LOG, JOB_EVERY, LEASE, RENEW)
"""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask

from jobs.registry import JobSpec
from jobs.scheduler import start_in_server
from webapp import create_app


def _every(_app: Flask) -> timedelta:
    return timedelta(seconds=float(os.environ["JOB_EVERY"]))


app = create_app(
    {
        "SCHEDULER_JOBS": (JobSpec("record", "tests.jobs.sample_jobs:record_run", every=_every),),
        "SCHEDULER_LEASE_SECONDS": float(os.environ["LEASE"]),
        "SCHEDULER_RENEW_SECONDS": float(os.environ["RENEW"]),
        "JOB_LOG": os.environ["JOB_LOG"],
    }
)
start_in_server(app)
