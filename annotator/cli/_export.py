"""Export commands."""
