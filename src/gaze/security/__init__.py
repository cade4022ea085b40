"""Credentials: the REST API key."""
