"""nbgrader ExportPlugin subclasses: grade files in the formats learning platforms import."""
