"""One module per `rnnkit` command: add_arguments(parser) and run(args)."""
