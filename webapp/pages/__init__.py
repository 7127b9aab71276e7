"""Pages that read from every area: the dashboard, Settings, and the health check."""
