"""Instructor tooling for the course: the grading pipeline around nbgrader, and feedback redaction.

Everything that grades is nbgrader's own CLI and gradebook API; this package only orchestrates it,
isolates one student's failure from the others, and summarises the results with pandas.
"""
