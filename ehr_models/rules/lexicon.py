"""Drug-name lexicon: the ``drug-named-entity-recognition`` dictionary plus clinical shorthand, matched on tokens.

The package (MIT; DrugBank open data CC0, MeSH, Wikipedia) holds about 107k lower-cased name variants mapped to
canonical names. It tokenizes on whitespace and looks at one or two tokens; here every variant is re-tokenized with
the project tokenizer and matched longest-first over up to ``MAX_TOKENS`` tokens, so "metoprolol succinate",
"potassium chloride" and "Tylenol #3" match whole. Its dictionary is a pickle: it is read with an unpickler that
accepts only plain containers and strings, and the package module itself is never imported (its import reads a
pickle cache from the home directory and can reach the network): the file is located with ``find_spec``.

Start-up: reading the pickle (in a short-lived child process, for memory) and re-tokenizing its 107k variants cost
every process several CPU-seconds, paid again by each pipeline worker. The tokenized variants are therefore kept in
a JSON cache (``$EHRBEAM_CACHE_DIR``, else ``$XDG_CACHE_HOME/ehrbeam`` or ``~/.cache/ehrbeam``; an empty
``EHRBEAM_CACHE_DIR`` turns it off) named by the SHA-256 of the dictionary file and of the tokenizer's pattern, so a
new package version or tokenizer never reads a stale one; a cache that cannot be read is rebuilt, one that cannot be
written is skipped. JSON, not pickle or marshal: loading it runs no code. The entries are the same either way.
"""

from __future__ import annotations

import bz2
import hashlib
import importlib.resources
import importlib.util
import io
import json
import multiprocessing
import os
import pickle
import re
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ehr_models.text import Token, tokenize
from ehr_models.text.tokenizer import _TOKEN

MAX_TOKENS = 6
PACKAGE = "drug_named_entity_recognition"
DICTIONARY_FILE = "drug_ner_dictionary.pkl.bz2"
CACHE_ENV = "EHRBEAM_CACHE_DIR"
CACHE_FORMAT = 1  # bump when the cached content changes meaning

# Clinical shorthand and drug groups that the dictionary lacks (guidelines: abbreviations, IV fluids given as
# therapy, electrolyte repletion, collective names for the patient's therapy). Variant -> canonical.
CLINICAL_SUPPLEMENT: dict[str, str] = {
    "asa": "aspirin", "ecasa": "aspirin", "kcl": "potassium chloride", "k-dur": "potassium chloride",
    "kdur": "potassium chloride", "klor-con": "potassium chloride", "vanco": "vancomycin", "levo": "levofloxacin",
    "mso4": "morphine", "ms contin": "morphine", "ntg": "nitroglycerin", "nitro": "nitroglycerin",
    "nitropaste": "nitroglycerin", "nitro paste": "nitroglycerin", "ns": "sodium chloride",
    "normal saline": "sodium chloride", "lr": "lactated ringer's", "lactated ringers": "lactated ringer's",
    "lactated ringer's": "lactated ringer's", "d5w": "dextrose", "d5ns": "dextrose and sodium chloride",
    "d5 1/2ns": "dextrose and sodium chloride", "d51/2ns": "dextrose and sodium chloride", "ivf": "iv fluids",
    "iv fluids": "iv fluids", "d50": "dextrose", "mvi": "multivitamin", "multivitamin": "multivitamin",
    "multivitamins": "multivitamin", "milk of magnesia": "milk of magnesia",
    "senna": "senna", "senokot": "senna", "dulcolax": "bisacodyl", "versed": "midazolam", "neo": "phenylephrine",
    "neosynephrine": "phenylephrine", "neo-synephrine": "phenylephrine", "levophed": "norepinephrine",
    "vasopressin": "vasopressin", "kayexalate": "sodium polystyrene sulfonate", "tpn": "parenteral nutrition",
    "albumin": "albumin", "magnesium sulfate": "magnesium sulfate", "mag sulfate": "magnesium sulfate",
    "mgso4": "magnesium sulfate", "mag oxide": "magnesium oxide", "magnesium oxide": "magnesium oxide",
    "k-phos": "potassium phosphate", "kphos": "potassium phosphate", "neutra-phos": "potassium phosphate",
    "calcium carbonate": "calcium carbonate", "calcium gluconate": "calcium gluconate",
    "ca gluconate": "calcium gluconate", "sodium bicarbonate": "sodium bicarbonate", "bicarb": "sodium bicarbonate",
    "nahco3": "sodium bicarbonate", "amp": "ampicillin", "zofran": "ondansetron", "pepcid": "famotidine",
    "tylenol #3": "acetaminophen and codeine", "percocet": "oxycodone and acetaminophen",
    "vicodin": "hydrocodone and acetaminophen", "norco": "hydrocodone and acetaminophen",
    "lortab": "hydrocodone and acetaminophen", "dilantin": "phenytoin", "vitamin k": "phytonadione",
    "vit k": "phytonadione", "vitamin d": "vitamin d", "vitamin b12": "cyanocobalamin", "b12": "cyanocobalamin",
    "folate": "folic acid", "thiamine": "thiamine", "iron": "iron", "ferrous sulfate": "ferrous sulfate",
    "fe sulfate": "ferrous sulfate", "fes04": "ferrous sulfate", "feso4": "ferrous sulfate",
    "lantus": "insulin glargine", "humalog": "insulin lispro", "novolog": "insulin aspart", "nph": "insulin nph",
    "regular insulin": "insulin regular",         "lovenox": "enoxaparin", "tpa": "alteplase", "epi": "epinephrine", "dopa": "dopamine", "dobutamine": "dobutamine",
    "lopressor": "metoprolol", "toprol": "metoprolol", "toprol xl": "metoprolol", "zosyn": "piperacillin and tazobactam",
    "flagyl": "metronidazole", "bactrim": "trimethoprim and sulfamethoxazole", "tmp/smx": "trimethoprim and sulfamethoxazole",
    "tmp-smx": "trimethoprim and sulfamethoxazole", "cipro": "ciprofloxacin", "ctx": "ceftriaxone",
    "pcn": "penicillin", "pen g": "penicillin g", "gent": "gentamicin", "tobra": "tobramycin",
    "ativan": "lorazepam", "morphine sulfate": "morphine", "dilaudid": "hydromorphone", "oxycontin": "oxycodone",
    "prednisone": "prednisone", "solumedrol": "methylprednisolone", "solu-medrol": "methylprednisolone",
    "decadron": "dexamethasone", "hctz": "hydrochlorothiazide",     "electrolyte repletion": "electrolytes", "mag": "magnesium", "magnesium": "magnesium", "potassium": "potassium",
    "calcium": "calcium", "phos": "phosphate", "narcan": "naloxone", "flumazenil": "flumazenil",
    "propofol": "propofol", "fentanyl": "fentanyl", "precedex": "dexmedetomidine", "nexium": "esomeprazole",
    "prilosec": "omeprazole", "carafate": "sucralfate", "reglan": "metoclopramide", "lactulose": "lactulose",
    "duonebs": "albuterol and ipratropium", "duoneb": "albuterol and ipratropium",     "mucomyst": "acetylcysteine", "ace inhibitor": "ace inhibitors",
    "ace inhibitors": "ace inhibitors", "beta blocker": "beta blockers", "beta blockers": "beta blockers",
    "beta-blocker": "beta blockers", "beta-blockers": "beta blockers", "diuretic": "diuretics",
    "diuretics": "diuretics", "antibiotic": "antibiotics", "antibiotics": "antibiotics", "abx": "antibiotics",
    "pressors": "vasopressors", "pressor": "vasopressors", "vasopressors": "vasopressors", "steroids": "steroids",
    "steroid": "steroids", "narcotics": "narcotics", "narcotic": "narcotics", "nsaids": "nsaids", "nsaid": "nsaids",
    "anticoagulation": "anticoagulants", "anticoagulants": "anticoagulants", "statin": "statins",
    "statins": "statins", "antihypertensives": "antihypertensives", "laxatives": "laxatives",
    "stool softeners": "stool softeners", "inhalers": "inhalers", "benzos": "benzodiazepines",
    "benzodiazepines": "benzodiazepines", "chemotherapy": "chemotherapy", "chemo": "chemotherapy",
    "vaccine": "vaccine", "flu shot": "influenza vaccine", "pneumovax": "pneumococcal vaccine",
    "amio": "amiodarone", "dilt": "diltiazem", "vanc": "vancomycin", "ampi": "ampicillin", "dobuta": "dobutamine",
    "ms04": "morphine", "antibx": "antibiotics", "mivf": "iv fluids", "iv fluid": "iv fluids",
    "intravenous fluids": "iv fluids", "intravenous fluid": "iv fluids", "1/2ns": "sodium chloride",
    "1/2 ns": "sodium chloride", "half-normal saline": "sodium chloride", "half normal saline": "sodium chloride",
    "d5 1/2 ns": "dextrose and sodium chloride", "d5": "dextrose", "free water": "water", "vioxx": "rofecoxib",
    "darvocet": "propoxyphene and acetaminophen", "demerol": "meperidine", "keflex": "cephalexin",
    "os-cal": "calcium carbonate", "oscal": "calcium carbonate", "fiorinal": "butalbital, aspirin and caffeine",
    "roxanol": "morphine", "depomedrol": "methylprednisolone", "depo-medrol": "methylprednisolone",
    "cal gluc": "calcium gluconate", "ca gluc": "calcium gluconate", "immodium": "loperamide",
    "corticosteroids": "corticosteroids", "corticosteroid": "corticosteroids", "sedatives": "sedatives",
    "anesthetics": "anesthetics", "anti-inflammatory": "nsaids", "anti-inflammatories": "nsaids",
    "antiinflammatory": "nsaids", "thrombolytic": "thrombolytics", "thrombolytics": "thrombolytics",
    "antipsychotic": "antipsychotics", "antipsychotics": "antipsychotics", "anti-psychotic": "antipsychotics",
    "anti-psychotics": "antipsychotics", "antiretroviral": "antiretrovirals", "antiretrovirals": "antiretrovirals",
    "blood thinner": "anticoagulants", "blood thinners": "anticoagulants", "antiemetic": "antiemetics",
    "antiemetics": "antiemetics", "antihistamine": "antihistamines", "antihistamines": "antihistamines",
    "bronchodilator": "bronchodilators", "bronchodilators": "bronchodilators", "paralytic": "neuromuscular blockers",
    "paralytics": "neuromuscular blockers", "opioids": "opioids", "opioid": "opioids", "opiates": "opioids",
}

# Class or purpose + "medication(s)" stands for the patient's therapy ("pain medications", "blood pressure meds").
GROUP_PHRASE = re.compile(
    r"\b(?:(?:long|short)[- ]acting\s+)?(?:pain|blood\s+pressure|bp|diabetic|diabetes|heart|cardiac|thyroid|seizure|"
    r"psychiatric|cholesterol|respiratory|opiate|opioid|narcotic|narcotic\s+pain|sleep|sleeping|antiemetic|"
    r"anticholinergic|antiretroviral|antipsychotic|antihypertensive|antiepileptic|anti-seizure|stomach|acid|"
    r"nausea|asthma|allergy|dyslipidemia|arthritis|migraine|heart\s+failure)\s+"
    r"(?:medications?|meds?|medicines?|pills)\b",
    re.I,
)
# Release and strength modifiers that are part of a product name ("Toprol XL", "Tylenol No. 3", "NovoLog 70/30").
NAME_MODIFIER = re.compile(
    r"\s*(?:\b(?:XL|XR|SR|ER|CR|LA|DS|IR|ODT|HFA|AQ|CD|EC|DR|ES|long[- ]acting|extended[- ]release|regular)\b"
    r"|(?:No\.?|#)\s*\d\b|\d{2}/\d{2}\b(?!/))"
)

# Dictionary variants that are ordinary English or clinical words far more often than drug names in notes
# (found by matching the dictionary over MTSamples and reading the most frequent hits).
STOPLIST: frozenset[str] = frozenset(
    """
    a an and as at be by do for in is it no of on or so the to up us am pm mg ml cc ct mri ekg ecg bp hr rr
    today same well will may can pain blood oxygen o2 water air sugar ice heat sleep rest control normal
    clear balance support care plan base boost cycle duration patch solution contrast dye gas gold silver
    lead zinc sodium chloride glucose protein fat fiber alcohol ethanol etoh tobacco nicotine caffeine coffee
    tea milk vitamins supplement supplements medication medications medicine medicines drug drugs
    agent agents dose doses tablet tablets capsule capsules caps cream ointment lotion spray drops gel foam
    iodine barium technetium thallium fluorescein luminal coban mastisol biomet aquaplast cortisol aldosterone
    acth ferritin antibodies guaiac marijuana heroin cocaine transaminases thyroglobulin neuromodulator
    """.split()
) | frozenset(
    {
        "thyroid gland", "packed red blood cells", "fresh frozen plasma", "carbon dioxide", "alkaline phosphatase",
        "escherichia coli", "c-reactive protein", "c - reactive protein", "rheumatoid factor",
        "prostate specific antigen", "protein s", "protein c", "alpha-fetoprotein", "alpha - fetoprotein",
        "ct-1", "ct - 1", "anesthetic effect", "petroleum jelly", "sterile water",
    }
)


_FUNCTION_WORDS = frozenset("a an and as at by for in is of on or the to with".split())


@dataclass(frozen=True)
class LexiconMatch:
    start: int
    end: int
    canonical: str
    source: str  # "dictionary" or "supplement"


class _ContainersOnly(pickle.Unpickler):
    """Refuses every global: the dictionary is plain dicts, lists and strings, so nothing else may load."""

    def find_class(self, module: str, name: str):  # noqa: D102 - pickle hook
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the drug dictionary")


def _key(text: str) -> str:
    return " ".join(token.text.lower() for token in tokenize(text))


def _dictionary_bytes() -> bytes:
    """The package's compressed dictionary. ``find_spec`` locates a top-level package without running its
    ``__init__`` (which loads the whole dictionary and more: seconds); ``importlib.resources`` (which imports it)
    only where the package is not a plain directory."""
    spec = importlib.util.find_spec(PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(location) / DICTIONARY_FILE
        if path.is_file():
            return path.read_bytes()
    return (importlib.resources.files(PACKAGE) / DICTIONARY_FILE).read_bytes()


def _read_dictionary_variants() -> dict[str, str]:
    data = _ContainersOnly(io.BytesIO(bz2.decompress(_dictionary_bytes()))).load()
    return {variant: canonicals[0] for variant, canonicals in data["drug_variant_to_canonical"].items() if canonicals}


@lru_cache(maxsize=1)
def _dictionary_variants() -> dict[str, str]:
    """Variant -> canonical name. The package's pickle also holds structures and metadata for every drug: fully
    loaded it leaves about 400 MB resident in the process that read it, so a short-lived child process reads it
    and hands back only the names (a few MB). Falls back to reading here if no child process can start."""
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            return pool.submit(_read_dictionary_variants).result()
    except (OSError, BrokenProcessPool, RuntimeError):
        return _read_dictionary_variants()


def cache_dir() -> Path | None:
    """Where start-up caches live (``None``: caching turned off by an empty ``$EHRBEAM_CACHE_DIR``)."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ehrbeam"


def _dictionary_cache_path() -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    digest = hashlib.sha256(_dictionary_bytes())
    digest.update(b"\0" + _TOKEN.pattern.encode("utf-8") + b"\0" + str(CACHE_FORMAT).encode())
    return directory / f"drug-lexicon-{digest.hexdigest()[:32]}.json"


def _load_cached_pairs(path: Path) -> list[tuple[str, str]] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        pairs = data["pairs"] if data.get("format") == CACHE_FORMAT else None
        if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)
                                                  and isinstance(p[1], str) for p in pairs):
            return None
        return [(key, canonical) for key, canonical in pairs]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _store_cached_pairs(path: Path, pairs: list[tuple[str, str]]) -> None:
    name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=path.name, suffix=".tmp",
                                         delete=False) as handle:
            name = handle.name
            json.dump({"format": CACHE_FORMAT, "pairs": pairs}, handle, separators=(",", ":"))
        os.replace(name, path)  # atomic: workers starting together never read half a file
    except (OSError, ValueError):
        if name is not None:
            try:
                os.unlink(name)
            except OSError:
                pass


@lru_cache(maxsize=1)
def _tokenized_dictionary() -> tuple[tuple[str, str], ...]:
    """``(_key(variant), canonical)`` for every dictionary variant, in the dictionary's order: from the cache when
    one matches this dictionary file and tokenizer, else built from ``_dictionary_variants`` and stored."""
    path = _dictionary_cache_path()
    pairs = _load_cached_pairs(path) if path is not None and path.is_file() else None
    if pairs is None:
        pairs = [(_key(variant), canonical) for variant, canonical in _dictionary_variants().items()]
        if path is not None:
            _store_cached_pairs(path, pairs)
    return tuple(pairs)


# Built entries per lexicon configuration: the tagger's drug_lexicon feature and the rules annotator each make a
# DrugLexicon with the defaults; they share one table (read-only) instead of building and holding two.
_BUILT: dict[tuple, dict[str, tuple[str, str]]] = {}
# Misspelling indexes per (table, min_chars): see FuzzyDrugNames._shared_index.
_FUZZY: dict[tuple[int, int], tuple[dict, dict[str, tuple[str, ...]]]] = {}


class DrugLexicon:
    """Longest-match drug-name lookup over tokens, case-insensitive. Build once per process (about 1 s)."""

    def __init__(self, use_dictionary: bool = True, supplement: dict[str, str] | None = None,
                 stoplist: frozenset[str] = STOPLIST, min_chars: int = 3) -> None:
        self.use_dictionary = use_dictionary
        self.supplement = CLINICAL_SUPPLEMENT if supplement is None else supplement
        self.stoplist = stoplist
        self.min_chars = min_chars
        self._entries: dict[str, tuple[str, str]] | None = None
        self._first_words: frozenset[str] | None = None

    def _build(self) -> dict[str, tuple[str, str]]:
        config = (self.use_dictionary, tuple(self.supplement.items()), self.stoplist, self.min_chars)
        built = _BUILT.get(config)
        if built is not None:
            return built
        entries: dict[str, tuple[str, str]] = {}
        if self.use_dictionary:
            for key, canonical in _tokenized_dictionary():  # key == _key(variant), in the dictionary's order
                if self._usable(key):
                    entries[key] = (canonical, "dictionary")
        for variant, canonical in self.supplement.items():  # shorthand may be short ("ns", "lr"): no length floor
            entries[_key(variant)] = (canonical, "supplement")
        _BUILT[config] = entries
        return entries

    def _usable(self, key: str) -> bool:
        words = key.split(" ")
        return (
            len(key) >= self.min_chars and key not in self.stoplist and len(words) <= MAX_TOKENS
            and words[0][0].isalpha() and words[-1][-1].isalnum()  # "alcohol ," or "at 10" are not drug names
            and words[0] not in _FUNCTION_WORDS
        )

    @property
    def entries(self) -> dict[str, tuple[str, str]]:
        if self._entries is None:
            self._entries = self._build()
        return self._entries

    def __contains__(self, phrase: str) -> bool:
        return _key(phrase) in self.entries

    def match(self, tokens: list[Token]) -> list[LexiconMatch]:
        """Return non-overlapping matches, longest first at each position, left to right."""
        entries = self.entries
        if self._first_words is None:
            self._first_words = frozenset(key.split(" ", 1)[0] for key in entries)
        # A hit at position i needs a key that starts with token i (tokens hold no spaces), and a match must start
        # on a letter or digit: testing both first skips the n-gram joins at almost every position.
        first_words = self._first_words
        lowered = [token.text.lower() for token in tokens]
        count = len(tokens)
        matches: list[LexiconMatch] = []
        resume = 0  # left to right: a match consumes its tokens, the scan resumes after it
        for i in [i for i, word in enumerate(lowered) if word in first_words]:
            if i < resume or not tokens[i].text[0].isalnum():
                continue
            for length in range(min(MAX_TOKENS, count - i), 0, -1):
                hit = entries.get(" ".join(lowered[i : i + length]))
                if hit is not None:
                    canonical, source = hit
                    matches.append(LexiconMatch(tokens[i].start, tokens[i + length - 1].end, canonical, source))
                    resume = i + length
                    break
        return matches


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (substitution, insertion, deletion, transposition), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


class FuzzyDrugNames:
    """Misspelled single-word drug names ("amnioderone", "fetanyl", "lovonex") by symmetric-delete lookup.

    Only the caller's context makes a fuzzy hit a medication (the annotator asks for a dose, route or frequency
    beside it): edit distance alone would turn ordinary words into drugs.
    """

    def __init__(self, lexicon: DrugLexicon, min_chars: int = 5) -> None:
        self.lexicon = lexicon
        self.min_chars = min_chars
        self._index: dict[str, tuple[str, ...]] | None = None

    def _shared_index(self) -> dict[str, tuple[str, ...]]:
        """The index of this lexicon's table, built once per process: the hybrid annotator's rules and the
        tagger's ``rule_labels`` feature each hold a RuleAnnotator, over one shared table (about 1 s and 40 MB
        each otherwise). Read-only once built."""
        entries = self.lexicon.entries
        key = (id(entries), self.min_chars)
        found = _FUZZY.get(key)
        if found is None or found[0] is not entries:
            found = _FUZZY[key] = (entries, self._build())  # the table is kept alive with it: its id stays unique
        return found[1]

    def _build(self) -> dict[str, tuple[str, ...]]:
        index: dict[str, list[str]] = {}
        for key in self.lexicon.entries:
            if len(key) >= self.min_chars and key.isalpha():
                for variant in _deletes(key) | {key}:
                    index.setdefault(variant, []).append(key)
        return {variant: tuple(keys) for variant, keys in index.items()}

    def lookup(self, word: str) -> str | None:
        """The closest lexicon key within 1 edit (2 for words of 8+ letters), or ``None``."""
        word = word.lower()
        if len(word) < self.min_chars or not word.isalpha() or word in self.lexicon.stoplist:
            return None
        if self._index is None:
            self._index = self._shared_index()
        limit = 2 if len(word) >= 8 else 1
        candidates = {key for variant in _deletes(word) | {word} for key in self._index.get(variant, ())}
        scored = sorted((_edit_distance(word, key, limit), key) for key in candidates)
        return scored[0][1] if scored and scored[0][0] <= limit else None
