"""Workflows: whole runs composed from the stages (simulate -> features -> models -> report)."""
