"""annotator: label entities and stances in news articles, export training data.

Importing this package is cheap: it pulls in neither Qt nor spaCy. The window lives
in :mod:`annotator.gui`, the command line in :mod:`annotator.cli`, and the use cases
both of them share in :mod:`annotator.services`.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
