from pathlib import Path

import pytest

from termfit.layout import QUERY_SPLITS, SPLITS, DataLayout


def test_layout_names():
    lay = DataLayout("d")
    assert lay.root == Path("d")
    assert lay.queries("dev") == Path("d/queries-dev.jsonl")
    assert lay.split("heldout-terms") == Path("d/queries-heldout-terms.jsonl")
    assert lay.split("train") == lay.train == Path("d/train.jsonl")
    assert (lay.corpus.name, lay.entries.name) == ("corpus.jsonl", "entries.jsonl")
    assert (lay.stats.name, lay.data_card.name, lay.templates.name, lay.merge_report.name) == (
        "stats.json", "data_card.json", "templates.json", "merge_report.json")
    assert set(QUERY_SPLITS) < set(SPLITS)


def test_layout_is_frozen():
    with pytest.raises(AttributeError):
        DataLayout("d").root = Path("e")  # type: ignore[misc]


def test_data_build_writes_the_layout(tmp_path):
    from termfit.dataset import BuildConfig, build_dataset
    from termfit.glossary import Entry

    entries = [Entry(id="", abbr=a, expansion=e, category="technical")
               for a, e in [("AMF", "Access and Mobility Management Function"),
                            ("SMF", "Session Management Function"),
                            ("UPF", "User Plane Function"), ("RRC", "Radio Resource Control")]]
    res = build_dataset(entries, tmp_path / "out", config=BuildConfig(token_stats=False),
                        progress=False)
    lay = DataLayout(res.out_dir)
    for path in (*(lay.split(s) for s in SPLITS), lay.stats, lay.data_card, lay.templates,
                 lay.merge_report):
        assert path.is_file(), path
