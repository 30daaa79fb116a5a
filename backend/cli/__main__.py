"""`python -m backend.cli`: the same as the `crg` command."""
import sys

from backend.cli.main import main

sys.exit(main())
