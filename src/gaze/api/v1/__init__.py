"""Version 1 of the REST API, as fixed by the API guide."""
