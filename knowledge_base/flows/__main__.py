"""``python -m knowledge_base.flows [validate|paths] [--content DIR]``."""

from .cli import main

raise SystemExit(main())
