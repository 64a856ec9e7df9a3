"""The shared result cache (aiocache): memory by default, Redis when REDIS_URL is set.

Imports nothing of the project, so loaders/ can own one (see loaders/service.py).
"""
