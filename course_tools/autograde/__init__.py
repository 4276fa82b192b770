"""Stage 3 of a submission's path: autograding, in long-lived nbgrader processes (``worker``)."""
