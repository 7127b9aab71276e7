"""Pages that read from every area: the dashboard, Settings, the health check, and placeholders."""
