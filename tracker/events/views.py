"""Event pages (filled below)."""
