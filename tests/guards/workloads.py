"""Module-level functions the bounded runner's tests send to a child (they must be importable
without Django)."""


def allocate(size: int) -> int:
    return len(bytearray(size))


def spin() -> None:
    while True:
        pass


def fail() -> None:
    raise ValueError("hỏng")


def imported(name: str) -> bool:
    """Whether the child started with `name` already imported (preloaded by its server)."""
    import sys

    return name in sys.modules
