"""Prometheus instruments shared by every layer (imports nothing of the project)."""
