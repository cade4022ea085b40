"""What pages show, shaped for display from what the services answer (no route code, no
queries, no changes)."""
