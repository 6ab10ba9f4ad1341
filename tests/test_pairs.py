"""Query templates and rendering."""

from __future__ import annotations

import random
from collections import Counter

from termfit.glossary import Entry
from termfit.pairs import (
    TEMPLATES,
    generate_queries,
    lookalike_index,
    render,
    templates_by_group,
)

AMF = Entry("amf", "AMF", "Access and Mobility Management Function",
            ko=["접근 및 이동성 관리 기능"], category="technical",
            definition="5G core function that handles registration and mobility.")
SMF = Entry("smf", "SMF", "Session Management Function", ko=["세션 관리 기능"],
            category="technical")


def test_template_inventory():
    langs = Counter("en" if t.lang == "en" else "ko" for t in TEMPLATES)
    assert langs["en"] >= 40 and langs["ko"] >= 40
    assert len({t.id for t in TEMPLATES}) == len(TEMPLATES)
    assert len({t.text for t in TEMPLATES}) == len(TEMPLATES)
    for group, ts in templates_by_group().items():
        assert len(ts) >= 10, group
        for t in ts:
            slots = t.slots
            if t.direction == "abbr2exp":
                assert "abbr" in slots and "exp" not in slots
            else:
                assert "abbr" not in slots and slots & {"exp", "ko", "def"}


def test_render_particles_and_leaks():
    rng = random.Random(0)
    by_id = {t.text: t for t in TEMPLATES}
    assert render(by_id["{abbr:는} 무엇의 약자인가요?"], AMF, rng) == "AMF는 무엇의 약자인가요?"
    assert render(by_id["{ko}의 약어는 무엇인가요?"], AMF, rng) == \
        "접근 및 이동성 관리 기능의 약어는 무엇인가요?"
    assert render(by_id["{exp:를} 줄여서 뭐라고 하나요?"], AMF, rng) == \
        "Access and Mobility Management Function을 줄여서 뭐라고 하나요?"
    assert render(by_id["{abbr:와} {other}의 차이는 무엇인가요?"], AMF, rng, SMF) == \
        "AMF와 SMF의 차이는 무엇인가요?"
    # no Korean name → template unusable; leaking exp→abbr query → rejected
    assert render(by_id["{ko}의 약어는 무엇인가요?"], Entry("x", "X2", "X2 interface"), rng) is None
    assert render(by_id["What is the abbreviation for {exp}?"],
                  Entry("x", "LTE", "LTE Long Term Evolution"), rng) is None


def test_generated_queries_never_leak_answers():
    entries = [AMF, SMF, Entry("cp", "CP", "Control Plane"), Entry("cp2", "CP", "Cyclic Prefix"),
               Entry("5g", "5G", "5th Generation", ko=["5세대 이동 통신"])]
    others = lookalike_index(entries)
    for e in entries:
        for group, ts in templates_by_group().items():
            for q in generate_queries(e, ts, 50, random.Random(1), others):
                assert (q.lang, q.direction) == group
                low = q.text.lower()
                if q.direction == "abbr2exp":
                    assert e.expansion.lower() not in low
                    assert e.abbr.lower() in low
                else:
                    assert f" {e.abbr.lower()} " not in f" {low} "
