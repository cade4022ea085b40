"""What pages show: read-only queries shaped for display (no route code, no changes)."""
