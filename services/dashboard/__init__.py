"""Trainer dashboard: every station live, every member's history (FastAPI)."""
