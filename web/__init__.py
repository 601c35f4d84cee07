"""Staff web front door (FastAPI)."""
