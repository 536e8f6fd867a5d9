"""Feed views (built in the feeds issue)."""
