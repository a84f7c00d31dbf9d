"""Read a printed PDF's word boxes (poppler's ``pdftotext -bbox``) to prove it legible."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from programs import require


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Page:
    width: float
    height: float
    words: list[Word]


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_WORD = re.compile(
    r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>'
)


def pages(pdf: Path) -> list[Page]:
    out = subprocess.run(
        [require("pdftotext"), "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    result: list[Page] = []
    for line in out.splitlines():
        m = _PAGE.search(line)
        if m:
            result.append(Page(float(m[1]), float(m[2]), []))
            continue
        m = _WORD.search(line)
        if m and result:
            n = len(result) - 1
            x0, y0, x1, y1 = (float(m[i]) for i in range(1, 5))
            result[-1].words.append(Word(n, x0, y0, x1, y1, unescape(m[5])))
    return result


#: pdftotext's word box is the font's full ascent + descent, about 1.3 x the font
#: size, taller than the line pitch (about 1.0 x in LibreOffice): the boxes of two
#: lines of one cell overlap by about a fifth of their height. Words overprint when
#: their boxes overlap by more than this share of the smaller box's height.
LINE_OVERLAP = 0.3


def overprints(page: Page, tolerance: float = 0.5) -> list[tuple[Word, Word]]:
    """Pairs of words printed over each other (see :data:`LINE_OVERLAP`)."""
    words = sorted(page.words, key=lambda w: w.y0)
    hits = []
    for i, a in enumerate(words):
        for b in words[i + 1 :]:
            if b.y0 >= a.y1:
                break
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > tolerance and dy > LINE_OVERLAP * min(a.height, b.height):
                hits.append((a, b))
    return hits


def squash(text: str) -> str:
    return " ".join(text.split())


def page_text(page: Page) -> str:
    return squash(" ".join(w.text for w in page.words))


def _appears(words: list[str], wanted: list[str], window: int) -> bool:
    """Whether ``wanted`` occurs in ``words`` in order, within ``window`` words.

    pdftotext reads a table row by row, so the lines of one cell are interleaved
    with the lines of its neighbours: the words of a cell come in order, not
    contiguous.
    """
    for start, w in enumerate(words):
        if w != wanted[0]:
            continue
        k = 1
        for other in words[start + 1 : start + window]:
            if k == len(wanted):
                break
            if other == wanted[k]:
                k += 1
        if k == len(wanted):
            return True
    return False


def missing_texts(pdf_pages: list[Page], texts: list[str]) -> list[str]:
    """The texts whose words do not all appear, in order, on one page."""
    streams = [[w.text for w in p.words] for p in pdf_pages]
    out = []
    for t in texts:
        wanted = t.split()
        if wanted and not any(_appears(s, wanted, 8 * len(wanted) + 40) for s in streams):
            out.append(t)
    return out


def smallest_text_pt(pdf_pages: list[Page]) -> float:
    """The height of the smallest words (5th percentile), in points on the printed page.

    A word box of Carlito is 1.302 x the font size high (measured: 9 pt text
    printed at 80 % gives 9.37 pt boxes); the percentile ignores the odd footnote.
    """
    heights = sorted(w.height for p in pdf_pages for w in p.words)
    return heights[len(heights) // 20] / 1.302 if heights else 0.0
