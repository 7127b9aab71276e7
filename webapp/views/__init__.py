"""Blueprints, one per area of the dashboard."""
