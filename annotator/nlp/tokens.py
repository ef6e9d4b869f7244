"""spaCy's blank tokenizer where the window and the exports need one.

Note for developers: spaCy is imported inside functions only (see the package
notes); :func:`warm_up` pays for it early, on the caller's thread.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

_nlp_cache: dict[str, Any] = {}
_nlp_lock = threading.Lock()


def blank_pipeline() -> Any:
    """spaCy's blank English tokenizer plus a rule sentencizer, loaded once."""
    with _nlp_lock:
        nlp = _nlp_cache.get("en")
        if nlp is None:
            import spacy

            nlp = spacy.blank("en")
            nlp.add_pipe("sentencizer")
            _nlp_cache["en"] = nlp
        return nlp


def warm_up() -> None:
    """Import spaCy now and build the tokenizer on a daemon thread, so the first
    selection or resize in the window does not wait for them.

    The import itself stays on the caller's thread (about half a second, once):
    two threads importing spaCy's submodules at the same time can deadlock in the
    import system, which then hands one of them a half-initialised module. Once
    ``import spacy`` has run, every later ``from spacy... import`` is a lookup.
    """
    import spacy  # noqa: F401

    if "en" not in _nlp_cache:
        threading.Thread(target=blank_pipeline, name="annotator-tokenizer-warm-up", daemon=True).start()


def tokenizer_language(model: str | None) -> str:
    """The language code of the pipeline a project's ``model`` setting names ("en"
    for rules only or when the pipeline cannot be inspected)."""
    from annotator.nlp.pipelines import RULES, resolve

    target = resolve(model)
    if target == RULES:
        return "en"
    import spacy.util

    try:
        path = Path(target).expanduser()
        if path.exists():
            return str(spacy.util.load_config(path / "config.cfg")["nlp"]["lang"])
        return str(spacy.util.get_model_meta(spacy.util.get_package_path(target)).get("lang") or "en")
    except Exception:  # a broken pipeline: fall back to English rather than fail the export
        return "en"


def make_tokenizer_nlp(lang: str):
    """A blank pipeline (tokenizer only) for ``lang``."""
    import spacy

    return spacy.blank(lang)
