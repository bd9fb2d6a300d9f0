"""Language detection holds py3langid's answers in a third of its memory, and a plain text
loads what it needs and no more (issues 27 and 28; the memory is measured by
bench/memory.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from storybrief.extract import language

SRC = Path(__file__).parents[1] / "src"

TEXTS = [
    "The city council voted on Tuesday to repair 40 bridges built before 1990.",
    "Le conseil municipal a voté mardi la réparation de quarante ponts construits avant 1990.",
    "Der Stadtrat beschloss am Dienstag, 40 Brücken zu reparieren, die vor 1990 gebaut wurden.",
    "El ayuntamiento votó el martes reparar 40 puentes construidos antes de 1990.",
    "Il consiglio comunale ha votato martedì la riparazione di 40 ponti costruiti prima del 1990.",
    "Городской совет во вторник проголосовал за ремонт 40 мостов, построенных до 1990 года.",
    "市议会周二投票决定修复1990年以前建造的40座桥梁。",
    "市議会は火曜日、1990年以前に建設された40の橋の修理を決議した。",
    "مجلس المدينة صوت يوم الثلاثاء على إصلاح 40 جسرا بنيت قبل عام 1990.",
    "Η δημοτική επιτροπή ψήφισε την Τρίτη την επισκευή 40 γεφυρών.",
    "Rada miasta zagłosowała we wtorek za remontem 40 mostów zbudowanych przed 1990 rokiem.",
    "BREAKING NEWS FROM THE CITY HALL",
    "a",
    "",
    "1990 1991 1992 -- ++ ## 40",
    "e\u0301te\u0301 (decomposed) \ufffd \U0001f600",
    "lone surrogate \ud800 in a text",
    "word " * 400,
]


def test_the_languages_are_py3langids_to_the_last_digit() -> None:
    # the automaton's walk is replaced by a look-up of each byte's longest known suffix; the
    # scores must not move at all, or an article's language (and its sentences) would
    import py3langid.langid as langid

    full = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
    compact = language._identifier()
    assert type(compact) is not langid.LanguageIdentifier  # (the compact one, not a fallback)
    for text in TEXTS + [t[:7] for t in TEXTS] + [" ".join(TEXTS)]:
        assert np.array_equal(compact._decide(text), full._decide(text)), text
        assert compact.classify(text) == full.classify(text)
        assert compact.visits(full._encode(text)) == dict(
            langid.visit_counts(full.tk_nextmove, full._rowbase, full.tk_output, full._encode(text))
            or {}
        )


def test_languages_asked_from_threads_at_once_share_one_model(monkeypatch) -> None:
    import threading

    loads: list[int] = []
    real = language._load

    def counted() -> object:
        loads.append(1)
        return real()

    monkeypatch.setattr(language, "_load", counted)
    language._cached.cache_clear()
    start = threading.Barrier(4)
    found: list[str | None] = []

    def ask() -> None:
        start.wait()
        found.append(language.classify(TEXTS[0]))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == [1] and found == ["en"] * 4


RUN = """
import json, sys
import py3langid.langid as langid
from storybrief.extract import extract_html, extract_text
text = "The council met.\\n" + "The city council voted on Tuesday to repair forty bridges. " * 8
article = extract_text(text)
after_text = {"language": article.language, "full_model": langid.IDENTIFIER is not None,
              "modules": sorted(m for m in sys.modules if m.split(".")[0] in
                                ("trafilatura", "htmldate", "dateparser", "justext"))}
html = "<html><body><article>" + "<p>" + text + "</p>" + "</article></body></html>"
page = extract_html(html)
import trafilatura.external
from dateparser.languages.loader import default_loader
after_html = {"language": page.language, "full_model": langid.IDENTIFIER is not None,
              "trafilatura": "trafilatura" in sys.modules,
              "dateparser languages": sorted(default_loader._loaded_locales),
              "justext stop lists": trafilatura.external.JT_STOPLIST is not None}
print(json.dumps([after_text, after_html]))
"""


def test_a_page_loads_what_it_needs_and_a_plain_text_no_trafilatura() -> None:
    # a text (POST /api/v1/articles with text, a .txt file) needs the language model and the
    # sentence splitter: trafilatura, htmldate, dateparser's patterns for every language and
    # jusText's stop lists are ~110 MB; py3langid's own model 75 MB
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")}
    env["PYTHONPATH"] = str(SRC)
    done = subprocess.run(
        [sys.executable, "-c", RUN], env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode:
        pytest.fail(done.stderr[-3000:])
    after_text, after_html = json.loads(done.stdout.strip().splitlines()[-1])
    assert after_text == {"language": "en", "full_model": False, "modules": []}
    # an English page: dateparser's English patterns, not its 204 other languages' (~60 MB,
    # loaded by the first date that needs them); no jusText stop lists (~33 MB) for a page
    # trafilatura reads without jusText
    assert after_html == {
        "language": "en",
        "full_model": False,
        "trafilatura": True,
        "dateparser languages": ["en"],
        "justext stop lists": False,
    }
