"""Background jobs: plain functions called as `function(app)` inside an app context, knowing nothing of
APScheduler. `registry` says which run when; `scheduler` runs them in one process per deployment."""
