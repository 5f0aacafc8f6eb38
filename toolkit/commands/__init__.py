"""One module per ``multisub`` subcommand; each exposes ``register(subparsers)``."""
