"""``python -m reportkit``: the same as the ``reportkit`` command."""

from reportkit.cli import main

raise SystemExit(main())
