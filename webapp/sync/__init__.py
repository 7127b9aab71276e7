"""Keeping teammates current from their directory: sync runs, the watermark, mass-change holds."""
