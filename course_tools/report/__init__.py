"""Stage 6 of a submission's path: scores (``scores``), ``report.md`` (``markdown``) and the
reconciliation of the books (``reconcile``)."""
