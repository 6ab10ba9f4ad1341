from __future__ import annotations

import json
import shutil

import pytest
from search_fixtures import write_glossary

from termfit.cli import main
from termfit.errors import InputError
from termfit.index import build_index
from termfit.search import Hit, Searcher


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, tiny_model_path):
    d = tmp_path_factory.mktemp("search")
    g = write_glossary(d / "g.jsonl")
    return build_index(d / "index", [g], tiny_model_path, show_progress=False)


@pytest.fixture(scope="module")
def searcher(index_dir):
    return Searcher(index_dir)


def test_abbreviation_query_finds_entry(searcher):
    hits = searcher.search("AMF", k=3)
    assert isinstance(hits[0], Hit)
    assert hits[0].abbr == "AMF" and hits[0].ko == ["접근 및 이동성 관리 기능"]
    assert hits[0].category == "technical"
    assert hits[0].scorer in ("acronym", "hybrid")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize("query, abbr", [
    ("접근 및 이동성 관리 기능이 뭐야?", "AMF"),
    ("세션 관리", "SMF"),
    ("What is the User Plane Function?", "UPF"),
    ("사물 인터넷", "IoT"),
])
def test_korean_and_english_queries_lexical(searcher, query, abbr):
    assert searcher.search(query, k=1, mode="lexical")[0].abbr == abbr
    assert searcher.search(query, k=1, mode="hybrid")[0].abbr == abbr


def test_ambiguous_abbreviation_returns_every_sense(searcher):
    hits = searcher.search("CP", k=2, mode="lexical")
    assert {h.expansion for h in hits} == {"Control Plane", "Cyclic Prefix"}


def test_modes_and_scorers(searcher):
    dense = searcher.search("session", k=8, mode="dense")
    assert len(dense) == 8 and {h.scorer for h in dense} == {"dense"}
    lex = searcher.search("session management", k=8, mode="lexical")
    assert lex and {h.scorer for h in lex} <= {"bm25", "acronym", "hybrid"}
    assert lex[0].abbr == "SMF"


def test_search_many_matches_single(searcher):
    qs = ["AMF", "세션 관리 기능", "Radio Link Failure"]
    many = searcher.search_many(qs, k=3)
    assert [[h.id for h in hs] for hs in many] == [
        [h.id for h in searcher.search(q, k=3)] for q in qs]


def test_k_larger_than_index(searcher):
    assert len(searcher.search("function", k=100, mode="dense")) == 8


@pytest.mark.parametrize("kwargs, match", [
    ({"query": "  "}, "empty query"),
    ({"query": "AMF", "k": 0}, "k must be at least 1"),
    ({"query": "AMF", "mode": "fuzzy"}, "unknown mode"),
])
def test_bad_search_arguments(searcher, kwargs, match):
    with pytest.raises(InputError, match=match):
        searcher.search(**kwargs)


def test_cli_search_json_and_text(index_dir, capsys):
    assert main(["search", "--index", str(index_dir), "AMF", "-k", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["results"][0]["abbr"] == "AMF" and len(out["results"]) == 2
    assert main(["search", "--index", str(index_dir), "세션", "관리", "--mode", "lexical"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split()[1] == "SMF" and "세션 관리 기능" in text


def test_cli_errors_are_messages(index_dir, tmp_path, capsys):
    assert main(["search", "--index", str(tmp_path), "AMF"]) == 2
    assert "not an index folder" in capsys.readouterr().err
    assert main(["search", "--index", str(index_dir), "AMF", "-k", "0"]) == 2


def test_cli_index_refuses_other_model_at_search(index_dir, tiny_model_path, tmp_path, capsys):
    other = tmp_path / "other"
    shutil.copytree(tiny_model_path, other)
    (other / "modules.json").write_text((other / "modules.json").read_text() + "\n")
    assert main(["search", "--index", str(index_dir), "--model", str(other), "AMF"]) == 3
    assert "was built with model" in capsys.readouterr().err


def test_cli_index(tmp_path, tiny_model_path, capsys):
    g = write_glossary(tmp_path / "g.jsonl")
    rc = main(["index", "--model", str(tiny_model_path), "--glossary", str(g),
               "--out", str(tmp_path / "ix")])
    assert rc == 0
    assert "8 entries, 30 passages" in capsys.readouterr().out


@pytest.mark.slow
def test_real_model_finds_korean_question(small_model_path, tmp_path):
    g = write_glossary(tmp_path / "g.jsonl")
    s = Searcher(build_index(tmp_path / "ix", [g], small_model_path, show_progress=False))
    # Korean names are not dense passages (the index holds exactly the training passages);
    # the default hybrid search reaches them through BM25, and dense ranks AMF in its top 3.
    assert s.search("이동성 관리를 담당하는 네트워크 기능", k=1)[0].abbr == "AMF"
    dense = s.search("이동성 관리를 담당하는 네트워크 기능", k=3, mode="dense")
    assert "AMF" in [h.abbr for h in dense]
    assert s.search("순환 전치", k=1)[0].expansion == "Cyclic Prefix"


def test_cli_search_non_utf8_query_is_a_clear_error(index_dir, capsys):
    # Undecodable bytes in argv reach Python as lone surrogates (surrogateescape).
    raw = b"AMF \xff\xfe".decode("utf-8", "surrogateescape")
    assert main(["search", "--index", str(index_dir), raw]) == 2
    err = capsys.readouterr().err
    assert "query is not valid UTF-8 text" in err and "Traceback" not in err


def test_cli_search_caps_the_query_length_like_the_server(index_dir, capsys):
    from termfit.search import MAX_QUERY_CHARS
    from termfit.server import Limits

    assert Limits().max_query_chars == MAX_QUERY_CHARS
    long = "Access and Mobility Management Function " * 10
    assert main(["search", "--index", str(index_dir), long]) == 2
    n = len(long.strip())
    assert f"query is {n} characters; the limit is {MAX_QUERY_CHARS}" in capsys.readouterr().err
    assert main(["search", "--index", str(index_dir), long[:MAX_QUERY_CHARS]]) == 0


def test_check_query():
    from termfit.search import QueryError, check_query

    assert check_query("  AMF ") == "AMF"
    for bad, code in [(" ", "empty_query"), ("x" * 257, "query_too_long"),
                      ("x \ud800", "invalid_text")]:
        with pytest.raises(QueryError) as err:
            check_query(bad)
        assert err.value.code == code
    with pytest.raises(QueryError, match="q is 257 characters; the limit is 256"):
        check_query("x" * 257)


# --- the abbreviation path ------------------------------------------------------------------
CP_QUERY = "CP는 길이가 긴 경우 PUSCH 성능은?"


def test_query_abbreviation_senses_become_candidates(searcher):
    (res,) = searcher.search_results([CP_QUERY], k=3, mode="dense")
    (cp,) = [a for a in res.abbreviations if a.abbr == "CP"]  # "CP는": particle stripped
    assert (cp.start, cp.end) == (0, 2)
    senses = {cp.entry_id} | {a.entry_id for a in cp.alternatives}
    assert senses == {"cp-control", "cp-prefix"}
    found = {h.id: h for h in res.hits}
    assert senses <= set(found)
    assert all("abbreviation" in found[i].found_by for i in senses)
    # the chosen sense ranks first of the two (its probability is the higher)
    ids = [h.id for h in res.hits]
    assert ids.index(cp.entry_id) < ids.index(cp.alternatives[0].entry_id)
    off = searcher.search_results([CP_QUERY], k=3, mode="dense", abbreviations=False)[0]
    assert off.abbreviations == ()
    assert all("abbreviation" not in h.found_by for h in off.hits)


def test_abbreviation_matrix_scores_only_named_senses(searcher):
    (found,) = [r.abbreviations for r in searcher.search_results(["AMF와 CP"], k=1)]
    m = searcher.abbreviation_matrix([found])
    ids = [e["id"] for e in searcher.index.entries]
    nonzero = {ids[j] for j in m[0].nonzero()[0]}
    assert nonzero == {"amf", "cp-control", "cp-prefix"}
    assert m[0][ids.index("amf")] == pytest.approx(1.0)  # one sense: certain


def test_settings_default_written_and_loaded(index_dir, tmp_path):
    from termfit.search import SETTINGS_FILE, SearchSettings, load_settings, write_settings

    assert load_settings(tmp_path) == SearchSettings()
    s = SearchSettings({"dense": 1.0, "bm25": 0.5, "acronym": 0.25, "abbreviation": 2.0},
                       "realtext-dev", 0.5)
    write_settings(tmp_path, s)
    assert load_settings(tmp_path) == s
    (tmp_path / SETTINGS_FILE).write_text('{"weights": {"sparse": 1}}', encoding="utf-8")
    with pytest.raises(InputError, match="unknown scorer"):
        load_settings(tmp_path)
    (tmp_path / SETTINGS_FILE).write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="not a search settings file"):
        load_settings(tmp_path)


def test_settings_change_the_fusion(index_dir):
    from termfit.search import SearchSettings

    only_abbr = SearchSettings({"dense": 0.0, "bm25": 0.0, "acronym": 0.0, "abbreviation": 1.0,
                                "names": 0.0, "translated": 0.0})
    s = Searcher(index_dir, settings=only_abbr)
    hits = s.search(CP_QUERY, k=5)
    assert {h.id for h in hits} == {"cp-control", "cp-prefix"}


def test_tune_settings_on_dev_queries(searcher):
    from termfit.search import COMPONENTS, tune_settings

    dev = [{"text": CP_QUERY, "entry_id": "cp-prefix"},
           {"text": "세션 관리 기능", "entry_id": "smf"},
           {"text": "unknown gold", "entry_id": "not-in-index"}]
    s = tune_settings(searcher, dev, steps=(0.0, 1.0))
    assert set(s.weights) == set(COMPONENTS) and s.weights["dense"] == 1.0
    assert s.tuned_on == "realtext-dev" and 0.0 <= s.dev_score <= 1.0
    with pytest.raises(InputError, match="no dev query"):
        tune_settings(searcher, dev[2:])


def test_cli_search_prints_abbreviations_first(index_dir, capsys):
    assert main(["search", "--index", str(index_dir), CP_QUERY, "-k", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("CP = ") and "other senses:" in lines[0]
    assert lines[1] == "PUSCH: not in the glossary"
    assert lines[2] == "" and lines[3].startswith(" 1. ")
    assert main(["search", "--index", str(index_dir), CP_QUERY, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [a["abbr"] for a in out["abbreviations"]] == ["CP", "PUSCH"]
    assert out["abbreviations"][0]["alternatives"]
    assert main(["search", "--index", str(index_dir), CP_QUERY, "--json",
                 "--no-abbreviations"]) == 0
    assert json.loads(capsys.readouterr().out)["abbreviations"] == []


def test_tune_index_writes_settings_only_with_realtext_dev(index_dir, searcher, tmp_path):
    from termfit.search import SETTINGS_FILE, load_settings, tune_index

    ix = tmp_path / "index"
    shutil.copytree(index_dir, ix)
    data = tmp_path / "data"
    data.mkdir()
    assert tune_index(ix, data, searcher) is None and not (ix / SETTINGS_FILE).exists()
    (data / "queries-realtext-dev.jsonl").write_text(json.dumps(
        {"text": CP_QUERY, "entry_id": "cp-prefix"}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    tuned = tune_index(ix, data, searcher)
    assert tuned is not None and load_settings(ix) == tuned
    assert tuned.tuned_on == "queries-realtext-dev.jsonl"


# --- Korean names, Korean -> English, the asked abbreviation ------------------------------
def test_generated_korean_name_finds_its_entry(searcher):
    # RLF has no curated Korean name: the index generated 무선 링크 실패
    for mode in ("lexical", "hybrid"):
        assert searcher.search("무선 링크 실패 약어가 뭐야?", k=1, mode=mode)[0].id == "rlf"


def test_korean_terms_translated_score_english_expansions(searcher):
    emb = searcher.encode_queries(["접속 관리 기능 약어?", "Access management"])
    mats = searcher.korean_matrices(["접속 관리 기능 약어?", "Access management"], emb)
    ids = [e["id"] for e in searcher.index.entries]
    # 접속 → access: only AMF's English name has it (its Korean name says 접근)
    assert ids[int(mats["translated"][0].argmax())] == "amf"
    assert not mats["translated"][1].any() and not mats["names"][1].any()
    assert mats["names"][0].max() > 0
    # a question about an abbreviation it names is not scored by its Korean words
    q = "AMF는 접속 관리 기능이라는데 SMF는 무슨 뜻이야?"
    (res,) = searcher.search_results([q], k=1)
    asked = searcher.korean_matrices([q], searcher.encode_queries([q]), [res.abbreviations])
    assert not asked["names"].any() and not asked["translated"].any()
    alone = searcher.korean_matrices([q], searcher.encode_queries([q]))  # no abbreviations given
    assert not alone["names"].any()


def test_the_asked_abbreviation_comes_first(searcher):
    q = "SMF가 정책 받아온다는데 AMF 뭐야?"
    (res,) = searcher.search_results([q], k=3)
    assert {a.abbr for a in res.abbreviations} == {"SMF", "AMF"}
    m = searcher.abbreviation_matrix([res.abbreviations], [q])
    ids = [e["id"] for e in searcher.index.entries]
    assert m[0][ids.index("amf")] > m[0][ids.index("smf")] > 0
    assert res.hits[0].id == "amf"
