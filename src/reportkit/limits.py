"""The default limits on the work of one untrusted file in a batch (:mod:`reportkit.pool` enforces them).

Apart from the pool so that building the command line (whose help states them) imports no process machinery.
"""

from __future__ import annotations

#: Seconds one task may take (checking and rendering one report takes well under a second).
DEFAULT_TIMEOUT = 60.0
#: Bytes of memory a worker may take on top of what it starts with, where the platform can limit it.
DEFAULT_MEMORY_LIMIT = 2 * 1024**3
