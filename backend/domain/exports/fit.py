"""How tall a row must be for its wrapped text to show whole, in Excel and in LibreOffice.

Excel grows a row to fit wrapped text when it opens a file, but LibreOffice does not (and a
preview neither), so a row whose height the file leaves out shows one line of a long title and
hides the rest under the next row. So the height is worked out here, as Excel would, from the
widths of Arial's characters (the same as Liberation Sans', which LibreOffice draws Arial with):
each wrapped cell is broken into lines at spaces, and the row is as tall as its tallest cell.

The estimate leans generous (every width a little wider than Excel draws it on screen, where
its columns are narrowest) so that a line too many is the worst case, never a line cut off.
"""
import re
from functools import lru_cache
from math import ceil

# Arial's advance widths in thousandths of an em, for printable ASCII (from its metrics, the
# same as Helvetica's). Anything else counts as a wide letter.
_ASCII = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 "
    "556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 "
    "556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 "
    "500 500 500 334 260 334 584"
)
WIDTHS = {chr(32 + i): int(w) for i, w in enumerate(_ASCII.split())}
OTHER = 722  # a character outside ASCII: as wide as a capital letter
BOLD = 1.1  # Arial Bold is about a tenth wider
SAFETY = 1.03
# Where a line may break: after a space (which then takes no room) or after a hyphen.
_PIECES = re.compile(r"[^ -]*-+|[^ -]+(?= |$)| ")
PIXELS_PER_EM = 10 * 96 / 72  # Arial 10 on a 96 dpi screen, which Excel's widths assume
LINE_POINTS = 12.75  # one line of Arial 10, as Excel's default row height
MAX_ROW_POINTS = 409  # Excel's tallest row


def _pixels(text: str, bold: bool) -> float:
    ems = sum(map(WIDTHS.get, text, [OTHER] * len(text))) / 1000
    return ems * PIXELS_PER_EM * SAFETY * (BOLD if bold else 1)


def usable_pixels(width: float) -> float:
    """The room for text in a column `width` characters wide: Excel draws each character unit
    as 7 pixels plus 5 of padding, and keeps a few pixels clear at each edge."""
    return width * 7 + 5 - 6


# A project's title and the people's names repeat on its spend lines and decisions, which sit
# together; a small cache catches those and stays small in a long-lived web worker.
@lru_cache(maxsize=4096)
def lines(text: str, width: float, bold: bool = False) -> int:
    """How many lines `text` takes when wrapped in a column `width` characters wide."""
    room = usable_pixels(width)
    count = 0
    for paragraph in text.split("\n"):
        count += 1
        if _pixels(paragraph, bold) <= room:
            continue
        used, space = 0.0, 0.0
        for piece in _PIECES.findall(paragraph):
            if piece == " ":
                space += _pixels(" ", bold)
                continue
            size = _pixels(piece, bold)
            if used + space + size <= room:
                used, space = used + space + size, 0.0
                continue
            if used:
                count += 1
            # a word wider than the column is broken wherever the line is full
            extra = max(ceil(size / room) - 1, 0)
            count += extra
            used, space = size - extra * room, 0.0
    return count


def row_points(line_count: int) -> float | None:
    """The height of a row holding `line_count` lines, or None for one line (the default)."""
    if line_count <= 1:
        return None
    return min(line_count * LINE_POINTS, MAX_ROW_POINTS)
