"""How a visible signature looks: an image (signature or seal) fitted into its box, and
text (the signer's name, or the appendix stamp's number and time). No Django here."""

from __future__ import annotations

import functools
import hashlib
import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from reports.signing.certificates import Appearance, SigningError

if TYPE_CHECKING:
    from pyhanko.stamp import StaticStampStyle, TextStampStyle

# The reports' Times-metric font, so that the appendix's stamp text matches the documents.
FONT = Path(__file__).resolve().parents[2] / "static" / "fonts" / "LiberationSerif-Regular.ttf"


@functools.cache
def stamp_font() -> str:
    """`FONT` with its outlines and metrics rescaled to 1000 units per em, as a file.

    pyHanko writes a font's glyph widths into the PDF as they are in the font, and PDF reads
    them per 1000 units: Liberation Serif's 2048 units per em would come out stretched. The
    rescaled copy (fontTools' scale_upem) keeps the design and the Times metrics; it is made
    once per process next to the temporary files and only ever embedded, subset, in a PDF."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415 (only when a stamp is drawn)
    from fontTools.ttLib.scaleUpem import scale_upem  # noqa: PLC0415

    data = FONT.read_bytes()
    target = Path(tempfile.gettempdir()) / f"stamp-{hashlib.sha256(data).hexdigest()[:16]}.ttf"
    if not target.exists():
        font = TTFont(io.BytesIO(data))
        scale_upem(font, 1000)
        partial = target.with_suffix(f".{id(font)}.part")
        font.save(str(partial))
        partial.replace(target)
    return str(target)


def appearance_style(appearance: Appearance) -> StaticStampStyle | TextStampStyle:
    from pyhanko.pdf_utils import layout  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.pdf_utils.images import PdfImage  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.pdf_utils.text import TextBoxStyle  # noqa: PLC0415 (pyHanko: slow import)
    from pyhanko.stamp import StaticStampStyle, TextStampStyle  # noqa: PLC0415 (pyHanko: slow import)

    background = None
    if appearance.image_png:
        try:
            image: Image.Image = Image.open(io.BytesIO(appearance.image_png))
            image.load()
        except Exception as exc:
            raise SigningError("Ảnh chữ ký/con dấu không đọc được (cần tệp PNG).") from exc
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        background = PdfImage(image)
    fit = layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MID,
        y_align=layout.AxisAlignment.ALIGN_MID,
        margins=layout.Margins.uniform(0),
        inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
    )
    if not appearance.text:
        return StaticStampStyle(
            background=background, background_layout=fit, background_opacity=1.0, border_width=0
        )
    size = appearance.font_size
    return TextStampStyle(
        # stamp_text is %-formatted by pyHanko; the caller's text is taken literally
        stamp_text=appearance.text.replace("%", "%%"),
        text_box_style=TextBoxStyle(
            # pyHanko types the size as an int; it lays out a float size as well.
            font=GlyphAccumulatorFactory(stamp_font(), font_size=size),  # type: ignore[arg-type]
            font_size=size,  # type: ignore[arg-type]
            leading=round(size * 1.25),
            border_width=0,
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MAX,
                margins=layout.Margins.uniform(0),
            ),
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MAX,
            margins=layout.Margins.uniform(2),
        ),
        background=background,
        background_layout=fit,
        background_opacity=1.0,
        border_width=0,
    )
