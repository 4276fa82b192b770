"""Stage 1 of a submission's path: get submissions into ``<course>/submitted/`` (``folders``,
``downloads``)."""
