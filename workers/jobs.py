"""Core jobs (none yet beyond what plugins add); imported by the worker at start."""
