"""nbgrader plugins of the course (late-submission penalty; exporters)."""
