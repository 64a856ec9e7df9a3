"""The leaf layer: coded errors, shared vocabulary, calendar periods and the metric registry.

Nothing here imports anything else of the project, so every layer above may use it.
"""
