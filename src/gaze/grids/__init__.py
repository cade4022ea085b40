"""X/Y/Z grids: one generation varied along up to three axes, and its labelled sheets."""
