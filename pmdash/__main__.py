"""`python -m pmdash` entry point."""

from pmdash.cli import main

raise SystemExit(main())
