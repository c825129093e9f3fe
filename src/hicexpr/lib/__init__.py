"""Helpers shared by every stage: errors, atomic writes, run folders, progress."""
