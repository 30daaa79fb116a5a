"""The `crg` command line: every subcommand, one module per area, each a thin translator."""
