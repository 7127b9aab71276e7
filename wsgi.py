"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from jobs.scheduler import start_in_server
from webapp import create_app

app = create_app()
# The serving processes run the background jobs (one leader at a time, see jobs/scheduler.py);
# `flask --app wsgi <command>` only arms a start on the first request, which `flask run` serves.
start_in_server(app)
