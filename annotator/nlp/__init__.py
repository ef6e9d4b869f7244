"""Suggestions from spaCy: pipelines, entity and stance suggesters.

Note for developers: spaCy is imported inside functions only, so importing this
package (or the command line) stays fast; the cost of ``import spacy`` is paid when
a pipeline is first needed.
"""
