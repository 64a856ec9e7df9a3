"""Synthetic, deterministic demo data and the seed command that writes it."""
