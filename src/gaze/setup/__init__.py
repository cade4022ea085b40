"""Preparing a data folder for first use."""
