"""Live updates: events of stored data fanned out to subscribers, in process or through Redis."""
