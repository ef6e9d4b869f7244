"""The pure domain: documents, spans, the label scheme, offsets and coded errors.

Note for developers: this package imports only the standard library. Qt, spaCy and
SQLite adapters live in the layers above it (an import-linter contract checks this).
"""
