"""Automatic persisted queries (the Apollo APQ protocol) and the optional allow-list."""
