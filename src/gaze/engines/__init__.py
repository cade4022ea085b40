"""Backends that turn a GenerationSpec into an image."""
