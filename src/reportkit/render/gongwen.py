"""The 公文 look shared by the Word template builder and the HTML page: font names and table proportions.

``tools/build_templates.py`` sets these in the Word template; :mod:`reportkit.render.html` names the same
fonts in its stylesheet and gives the official tables the same column proportions, so the two outputs
cannot drift apart.
"""

from __future__ import annotations

LATIN = "Times New Roman"
FANGSONG = "仿宋_GB2312"  #: body text and table cells
KAITI = "楷体_GB2312"  #: second-level headings （一）…
HEITI = "黑体"  #: first-level headings 一、…
SONGTI = "宋体"  #: page numbers
XIAOBIAOSONG = "方正小标宋简体"  #: the title

#: Column widths in twips of table 二 (label column, then the value columns); they fill the 版心 (156 mm).
PROACTIVE_WIDTHS = (2844, 2000, 2000, 2000)
#: The three row-label columns of table 三; its seven data columns share the rest of the 版心 equally.
APPLICATION_LABEL_WIDTHS = (480, 1240, 2400)
