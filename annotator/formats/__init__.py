"""File formats: readers that turn files into article records, writers that turn
stored annotations into training data. Registered by name in one registry each so
the CLI and the window list the same formats."""
