"""Writes: validation of client items into warehouse rows, batching, the write queue and notifications.

The SQL lives in loaders/writes.py; this package decides what is written and when.
"""
