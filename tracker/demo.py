"""Demo data (filled in shortly)."""


def load_demo_data() -> int:
    return 0
