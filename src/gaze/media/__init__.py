"""Image files: where they go, how they are named, what metadata they carry."""
