"""Evaluation harness for AI code reviewers."""

__version__ = "0.1.0"
