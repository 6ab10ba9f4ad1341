"""Building training/evaluation data: splits, leakage, relevance, determinism, files."""

from __future__ import annotations

import json

import pytest

from termfit.cli import main
from termfit.dataset import BuildConfig, build_dataset, load_split, split_heldout_terms
from termfit.glossary import Entry

CATS = ["technical", "conceptual", "application"]


def make_entries() -> list[Entry]:
    rows = [
        ("AMF", "Access and Mobility Management Function", "접근 및 이동성 관리 기능"),
        ("SMF", "Session Management Function", "세션 관리 기능"),
        ("UPF", "User Plane Function", "사용자 평면 기능"),
        ("CP", "Control Plane", "제어 평면"), ("CP", "Cyclic Prefix", "순환 전치"),
        ("AS", "Access Stratum", None), ("AS", "Application Server", None),
        ("URL", "Uniform Resource Locator", "인터넷 주소"), ("5G", "5th Generation", None),
        ("AAL2", "ATM Adaptation Layer 2", None), ("ATM", "Asynchronous Transfer Mode", None),
        ("HARQ", "Hybrid Automatic Repeat Request", "혼합 자동 재전송 요구"),
        ("OFDM", "Orthogonal Frequency Division Multiplexing", "직교 주파수 분할 다중화"),
        ("PRB", "Physical Resource Block", None), ("SSB", "SS/PBCH Block", None),
        ("DCI", "Downlink Control Information", None), ("BWP", "Bandwidth Part", None),
        ("TLS", "Transport Layer Security", None), ("VLAN", "Virtual LAN", None),
        ("MPLS", "Multiprotocol Label Switching", None), ("QoS", "Quality of Service", None),
        ("NRF", "NF Repository Function", None), ("PCF", "Policy Control Function", None),
        ("UDM", "Unified Data Management", None), ("AUSF", "Authentication Server Function", None),
        ("MME", "Mobility Management Entity", None), ("HSS", "Home Subscriber Server", None),
        ("SGW", "Serving Gateway", None), ("PGW", "PDN Gateway", None),
        ("PDU", "Protocol Data Unit", None), ("DNS", "Domain Name System", None),
    ]
    return [Entry("", a, e, ko=[k] if k else [], category=CATS[i % 3] if i % 4 else None)
            for i, (a, e, k) in enumerate(rows)]


def read(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "d"
    config = BuildConfig(heldout_terms_fraction=0.2, token_stats=False)
    result = build_dataset(make_entries(), out, seed=7, config=config, progress=False)
    return result, out


def test_files_and_fields(built):
    result, out = built
    for name in ["train.jsonl", "corpus.jsonl", "entries.jsonl", "queries-heldout-terms.jsonl",
                 "queries-heldout-phrasings.jsonl", "queries-dev.jsonl", "stats.json",
                 "data_card.json", "merge_report.json", "templates.json"]:
        assert (out / name).is_file(), name
    train = read(out / "train.jsonl")
    assert set(train[0]) - {"other_entry_id"} == {"anchor", "positive", "negative_echo",
                                                  "entry_id", "lang", "direction", "template"}
    assert all(r["anchor"].startswith("query: ") for r in train)
    assert all(r["positive"].startswith("passage: ") for r in train)
    assert all(r["negative_echo"] != r["positive"] for r in train)
    assert {r["lang"] for r in train} == {"en", "ko", "mixed"}
    assert {"abbr2exp", "exp2abbr"} <= {r["direction"] for r in train} <= {"abbr2exp", "exp2abbr",
                                                                          "name2exp"}
    for split in ["heldout-terms", "heldout-phrasings", "dev"]:
        rows = read(result.files[split])
        assert rows, split
        assert set(rows[0]) == {"id", "text", "relevant", "entry_id", "lang", "direction",
                                "template", "ambiguous"}
        assert all(r["relevant"] for r in rows)
        assert not any(r["text"].startswith("query: ") for r in rows)


def test_comparison_queries_have_a_row_per_compared_term(built):
    _, out = built
    train = read(out / "train.jsonl")
    cmp = [r for r in train if "other_entry_id" in r]
    assert cmp
    by_anchor: dict[str, list[dict]] = {}
    for r in cmp:
        by_anchor.setdefault(r["anchor"], []).append(r)
    both = [rows for rows in by_anchor.values() if len(rows) == 2]
    assert len(both) >= 0.9 * len(by_anchor)  # the rest lost a row to an identical pair
    for a, b in both:
        assert (a["entry_id"], a["other_entry_id"]) == (b["other_entry_id"], b["entry_id"])
        assert a["positive"] != b["positive"]


def test_passages_follow_category_and_query_language(built):
    _, out = built
    entries = {e["id"]: e for e in read(out / "entries.jsonl")}
    for r in read(out / "train.jsonl"):
        cat = entries[r["entry_id"]]["category"]
        if cat is None:
            assert "(" not in r["positive"]
        elif r["lang"] == "en":
            assert r["positive"].endswith(("(Technical)", "(Conceptual)", "(Application)"))
        else:
            assert r["positive"].endswith(("(기술)", "(개념)", "(활용)"))


def test_no_heldout_entry_in_train(built):
    _, out = built
    entries = read(out / "entries.jsonl")
    held = {e["id"] for e in entries if e["split"] == "heldout-terms"}
    held_abbrs = {e["abbr"] for e in entries if e["id"] in held}
    train = read(out / "train.jsonl")
    assert held and not held & {r["entry_id"] for r in train}
    train_abbrs = {e["abbr"] for e in entries if e["id"] not in held}
    assert not held_abbrs & train_abbrs  # all senses on the same side
    ht = read(out / "queries-heldout-terms.jsonl")
    assert {r["entry_id"] for r in ht} <= held


def test_heldout_phrasings_use_templates_kept_out_of_training(built):
    _, out = built
    train_templates = {r["template"] for r in read(out / "train.jsonl")}
    hp = read(out / "queries-heldout-phrasings.jsonl")
    assert not {r["template"] for r in hp} & train_templates
    dev = read(out / "queries-dev.jsonl")
    assert {r["template"] for r in dev} <= train_templates
    anchors = {r["anchor"][7:].lower().rstrip("?. ") for r in read(out / "train.jsonl")}
    assert not {r["text"].lower().rstrip("?. ") for r in dev} & anchors


def test_relevant_lists(built):
    _, out = built
    corpus = {r["id"]: r for r in read(out / "corpus.jsonl")}
    entries = read(out / "entries.jsonl")
    # the corpus holds every entry, both label languages when there is a category
    for e in entries:
        kinds = [r for r in corpus.values() if r["entry_id"] == e["id"]]
        assert len(kinds) == (4 if e["category"] else 2)
    by_id = {e["id"]: e for e in entries}
    queries = [r for s in ["heldout-terms", "heldout-phrasings", "dev"]
               for r in read(out / f"queries-{s}.jsonl")]
    for q in queries:
        e = by_id[q["entry_id"]]
        want_kind = "expansion" if q["direction"] in ("abbr2exp", "name2exp") else "abbr"
        own = [cid for cid, r in corpus.items() if r["entry_id"] == e["id"]
               and r["kind"] == want_kind]
        assert set(own) <= set(q["relevant"])  # both label languages
        assert all(corpus[c]["kind"] == want_kind for c in q["relevant"])
        senses = [x for x in entries if x["abbr"] == e["abbr"]]
        picks = q["template"] and any(s in q["text"] for s in e["ko"])
        if q["direction"] == "abbr2exp" and len(senses) > 1 and not picks and \
                "{other" not in q["template"]:
            got = {corpus[c]["entry_id"] for c in q["relevant"]}
            assert {s["id"] for s in senses} <= got, q
        assert q["ambiguous"] == (len(senses) > 1)


def test_deterministic(tmp_path, built):
    _, out = built
    again = tmp_path / "again"
    build_dataset(make_entries(), again, seed=7,
                  config=BuildConfig(heldout_terms_fraction=0.2, token_stats=False),
                  progress=False)
    for name in ["train.jsonl", "corpus.jsonl", "queries-heldout-phrasings.jsonl"]:
        assert (again / name).read_bytes() == (out / name).read_bytes()
    other = tmp_path / "other"
    build_dataset(make_entries(), other, seed=8, config=BuildConfig(token_stats=False),
                  progress=False)
    assert (other / "train.jsonl").read_bytes() != (out / "train.jsonl").read_bytes()


def test_split_keeps_senses_together():
    entries = make_entries()
    from termfit.glossary import assign_ids

    assign_ids(entries)
    for seed in range(10):
        train, held = split_heldout_terms(entries, 0.3, seed)
        assert {e.abbr for e in train}.isdisjoint({e.abbr for e in held})
        assert len(train) + len(held) == len(entries)


def test_load_split(built):
    _, out = built
    ds = load_split(out, "train")
    assert ds.num_rows == len(read(out / "train.jsonl")) and "anchor" in ds.column_names
    q = load_split(out, "heldout-terms")
    assert isinstance(q[0]["relevant"], list)


def test_failed_build_leaves_previous_output(tmp_path, built):
    _, out = built
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"abbr": "X"}\n', "utf-8")
    before = (out / "train.jsonl").read_bytes()
    assert main(["data", "build", str(bad), "--out", str(out)]) == 2
    assert (out / "train.jsonl").read_bytes() == before


def test_cli_build_jsonl_with_token_stats(tmp_path, capsys):
    g = tmp_path / "g.jsonl"
    g.write_text("".join(json.dumps({"abbr": e.abbr, "expansion": e.expansion, "ko": e.ko})
                         + "\n" for e in make_entries()), "utf-8")
    out = tmp_path / "out"
    assert main(["data", "build", str(g), "--out", str(out), "--seed", "3",
                 "--default-category", "technical"]) == 0
    printed = capsys.readouterr().out
    assert "| train |" in printed and "train.anchor" in printed
    corpus = read(out / "corpus.jsonl")
    assert any(r["text"].endswith("(기술)") for r in corpus)
    card = json.loads((out / "data_card.json").read_text())
    assert card["seed"] == 3 and len(card["inputs"][0]["sha256"]) == 64


@pytest.mark.slow
def test_shared_glossary_scale(shared_data, tmp_path):
    # the template generator's balance; Korean-name rows (Korean by design) are left out here
    result = build_dataset(shared_data / "telecom_glossary.jsonl", tmp_path / "d",
                           config=BuildConfig(token_stats=False, generated_ko_names=False,
                                              name_rows_per_entry=0,
                                              description_rows_per_entry=0), progress=False)
    c = result.stats["counts"]["train"]
    assert c["total"] >= 70_000
    en = c["by_lang"]["en"]
    ko = c["by_lang"]["ko"] + c["by_lang"]["mixed"]
    assert 0.8 < en / ko < 1.25
