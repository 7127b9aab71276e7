"""Scheduling: the leader lease that lets exactly one process per deployment run background jobs."""
