"""The REST API: /api/v1, its authentication and its error shape."""
