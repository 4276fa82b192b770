"""Stage 6: grading report, reconciliation and item analysis."""
