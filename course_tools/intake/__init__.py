"""Stage 1: getting submissions into <course>/submitted/."""
