"""The default label colours can be told apart, by colour-blind readers too.

Distances are CIEDE2000 (ΔE00) computed by coloraide, between every pair of entity
and stance colours of the bundled scheme, as seen with full colour vision and as
simulated for deuteranopia and protanopia (Brettel/Viénot), the common
red-green deficiencies. A ΔE00 near 2 is a just-noticeable difference; the
thresholds below ask for clear differences at a glance.
"""

from __future__ import annotations

import itertools

import pytest
from coloraide import Color

from annotator.core.assets import default_scheme_paths
from annotator.core.scheme import parse_labels, read_scheme_file

#: Minimum ΔE00 between two label colours with full colour vision...
MIN_NORMAL = 14.0
#: ... and as a deuteranope or protanope sees them.
MIN_COLOUR_BLIND = 7.0
#: The three stances must stand further apart: they are the decision itself.
MIN_STANCE_COLOUR_BLIND = 20.0


def _colours() -> dict[str, str]:
    labels_path, _ = default_scheme_paths()
    entities, stances, _ = parse_labels(read_scheme_file(labels_path), path=labels_path)
    return {f"{lab.layer}:{lab.name}": lab.colour for lab in (*entities, *stances)}


def _delta(a: str, b: str, deficiency: str | None = None) -> float:
    ca, cb = Color(a), Color(b)
    if deficiency is not None:
        ca, cb = ca.filter(deficiency), cb.filter(deficiency)
    return ca.delta_e(cb, method="2000")


def test_the_formula_matches_a_published_pair():
    # Sharma, Wu and Dalal (2005), test pair 1: ΔE00 = 2.0425.
    a = Color("lab-d65", [50.0, 2.6772, -79.7751])
    b = Color("lab-d65", [50.0, 0.0, -82.7485])
    assert a.delta_e(b, method="2000") == pytest.approx(2.0425, abs=1e-3)


def test_every_pair_of_label_colours_is_far_apart():
    colours = _colours()
    assert len(colours) == 11
    close = []
    for (na, a), (nb, b) in itertools.combinations(colours.items(), 2):
        normal = _delta(a, b)
        blind = min(_delta(a, b, "deutan"), _delta(a, b, "protan"))
        if normal < MIN_NORMAL or blind < MIN_COLOUR_BLIND:
            close.append(f"{na} {a} vs {nb} {b}: ΔE00 {normal:.1f}, colour-blind {blind:.1f}")
    assert close == []


def test_the_stances_stay_apart_for_colour_blind_readers():
    colours = _colours()
    stances = [c for name, c in colours.items() if name.startswith("stance:")]
    for a, b in itertools.combinations(stances, 2):
        assert min(_delta(a, b, d) for d in ("deutan", "protan", None)) >= MIN_STANCE_COLOUR_BLIND


def test_the_old_clashing_colours_would_fail():
    # PERSON #f76707 against DATE #e67700, GPE #2f9e44 against FAVOR #2b8a3e.
    assert _delta("#f76707", "#e67700") < MIN_NORMAL
    assert _delta("#2f9e44", "#2b8a3e") < MIN_NORMAL
