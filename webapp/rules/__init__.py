"""Assignment rules: which teammate gets which published template, and why."""
