"""Suggestion, evaluation and model commands."""
