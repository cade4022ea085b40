"""The web UI: server-rendered pages with progressive enhancement."""
