"""File names and paths from outside, made safe to show: shortened and inert as markdown.

An upload's name is chosen by whoever sends it, and a scripted client can send any string: 300
characters, a newline, a right-to-left override (U+202E) that makes ``photo<U+202E>gnp.exe``
show as ``photoexe.png``, or markdown such as ``**bold** [link](http://x).png`` that Streamlit would
render as a live link. :func:`short_name` makes a name one readable line of bounded length;
:func:`markdown_text` makes any text show literally where Streamlit renders markdown (captions,
``st.error``, ``st.warning``), while leaving ordinary names such as ``IMG_1234 (2).JPG`` as they
are, so they read the same in a downloaded record.
"""

from __future__ import annotations

import re
import unicodedata

#: Longest name, in characters, that messages and captions show before shortening it.
NAME_LIMIT = 60
ELLIPSIS = "…"

# Characters that are markup wherever they stand: emphasis (*), code (`), links and images ([ ]),
# HTML and autolinks (< >), strikethrough (~), maths ($), Streamlit's :colour[...] and :emoji:
# directives (:), entities (&), tables (|), e-mail autolinks (@) and the escape itself (\).
_ALWAYS = re.compile(r"([\\`*\[\]<>~$:&|@])")
# "_" starts emphasis only at a word's edge; inside a word ("IMG_1234") it is literal.
_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# GFM turns "www.example.com" into a link without any markup.
_WWW = re.compile(r"(?i)\b(www)\.")
# At the start of a line: headings, quotes, lists ("- ", "+ ", "1. ", "1) "), rules ("===").
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))")


def _printable(ch: str) -> str:
    # Control and format characters (newlines, NUL, bidi overrides) become U+FFFD, so a name is
    # always one line that reads in the order it is stored.
    return "\ufffd" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch


def short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """``name`` as one line of at most ``limit`` characters, for messages and captions.

    Control and format characters become U+FFFD; a longer name keeps its start and its end (the
    extension) around an ellipsis: ``short_name("a" * 300 + ".png", 20) == "aaaaaaaaaaaa…aaa.png"``.
    """
    if limit < 5:
        raise ValueError(f"limit must be at least 5, got {limit}")
    text = "".join(_printable(ch) for ch in str(name))
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + ELLIPSIS + text[len(text) - (limit - 1 - head) :]


def markdown_text(text: str) -> str:
    """``text`` with every character Streamlit's markdown would interpret backslash-escaped.

    The result renders as exactly ``text`` in ``st.markdown``, ``st.caption``, ``st.error`` and
    image captions (CommonMark lets any ASCII punctuation be escaped). Characters that are only
    markup in one position are escaped only there, so ``photo (1).png`` and ``IMG_1234.JPG`` come
    back unchanged. Line breaks become spaces.
    """
    out = " ".join(str(text).splitlines()).replace("\t", " ")
    out = _ALWAYS.sub(r"\\\1", out)
    out = _UNDERSCORE.sub(r"\\_", out)
    out = _WWW.sub(r"\1\\.", out)
    match = _LINE_START.match(out)
    if match:
        lead, mark = match.groups()
        # Before "1." the escape goes on the dot or bracket, after the digits.
        rest = out[match.end() :]
        out = f"{lead}{mark}\\{rest}" if mark[0].isdigit() else f"{lead}\\{mark}{rest}"
    return out.replace("  ", " \u00a0")  # runs of spaces would otherwise collapse or indent
