"""Text helpers: NFC names for display, and accent-free text for search."""

import unicodedata


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def fold(text: str) -> str:
    """'Công khai' -> 'cong khai', 'Đường' -> 'duong': what a search for either should match."""
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("đ", "d").replace("Đ", "D").casefold().split())


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            text = f"{value:.0f}" if unit == "B" else f"{value:.1f}".removesuffix(".0")
            return f"{text.replace('.', ',')} {unit}"
        value /= 1024
    return f"{size} B"
