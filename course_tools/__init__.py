"""Instructor tooling for the course: release, and the grading pipeline around nbgrader.

Everything that grades is nbgrader's own CLI and gradebook API; this package only orchestrates it,
isolates one student's failure from the others, and summarises the results with pandas. Its
modules follow the path of a submission (intake -> preflight -> sandbox/autograde -> feedback ->
export -> report, strung together by ``pipeline``, under the command line ``grade``); the README's
"How the grading tools are laid out" shows the map.
"""
