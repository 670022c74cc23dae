"""De-identified dataset exports: columns and their dictionary, frame batches, writers."""
