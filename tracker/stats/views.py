"""Statistics views (built in the statistics issue)."""
