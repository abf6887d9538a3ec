"""The 公文 look shared by the Word template builder, the renderers and the HTML page: font names, table
proportions, the sign-off styles and the printed width of a text.

``tools/build_templates.py`` sets these in the Word template; :mod:`reportkit.render.html` names the same
fonts in its stylesheet and gives the official tables the same column proportions, so the two outputs
cannot drift apart.
"""

from __future__ import annotations

import unicodedata

from reportkit.field_labels import label_of

LATIN = "Times New Roman"
FANGSONG = "仿宋_GB2312"  #: body text and table cells
KAITI = "楷体_GB2312"  #: second-level headings （一）…
HEITI = "黑体"  #: first-level headings 一、…
SONGTI = "宋体"  #: page numbers
XIAOBIAOSONG = "方正小标宋简体"  #: the title

#: Column widths in twips of table 二 (label column, then the value columns); they fill the 版心 (156 mm).
PROACTIVE_WIDTHS = (2844, 2000, 2000, 2000)
#: The three row-label columns of table 三; its seven data columns share the rest of the 版心 equally. The
#: label columns are wide enough that most labels take one line (（三）不予公开 four characters a line, the
#: leaf labels thirteen) and a data column still holds five digits at 五号: the table then fits one A4 page.
APPLICATION_LABEL_WIDTHS = (400, 960, 2860)

#: Paragraph styles of the sign-off; the renderer sets their right indents from the name and date lengths
#: (GB/T 9704-2012 §7.3.5.2), so a template keeps them by style name.
STYLE_SIGNOFF_NAME = "落款机关"
STYLE_SIGNOFF_DATE = label_of("report.signed_on")  # the style is named after the line it sets

#: Layout numbers shared with ``tools/build_templates.py`` (twips; 1 pt = 20 twips).
TEXT_WIDTH_TWIPS = 8844  #: 版心 width, 156 mm
BODY_CHAR_TWIPS = 320  #: one 3号 character (16 pt): 一字
BODY_CHAR_SPACING = -5  #: run spacing in twentieths of a point (−0.25 pt): 28 characters fit a line
TITLE_CHAR_TWIPS = 440  #: one 2号 character (22 pt)


def _is_narrow(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("Na", "H", "N")


#: The gap Word and LibreOffice put between Chinese and digits or Latin letters (autospace), in ems.
AUTOSPACE_EM = 0.215


def text_width(text: str, char_twips: int, spacing: int = 0) -> int:
    """The printed width of ``text`` in twips: a full-width character is one em, a half-width one half,
    plus the automatic gap at each change between Chinese and digits or Latin letters."""
    width = 0
    for index, ch in enumerate(text):
        narrow = _is_narrow(ch)
        width += (char_twips // 2 if narrow else char_twips) + spacing
        if index:
            before = text[index - 1]
            if narrow != _is_narrow(before) and (ch if narrow else before).isalnum():
                width += round(AUTOSPACE_EM * char_twips)
    return width
