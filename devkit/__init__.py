"""What tests and benchmarks share to run GAZE for real: server processes, scratch databases,
tiny model makers; not installed with GAZE."""
