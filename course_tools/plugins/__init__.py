"""nbgrader plugins of the course (export plugins, late-submission policy)."""
