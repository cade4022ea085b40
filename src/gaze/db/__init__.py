"""Storage: SQLAlchemy models, the connection factory and migrations."""
