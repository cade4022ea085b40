"""Route modules of the web UI, one per area; they never import one another."""
