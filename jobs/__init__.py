"""Background jobs: plain functions that take a session and know nothing of APScheduler."""
