"""A small intrinsic check of clinical embeddings: do brand and generic names, and route and frequency
abbreviations, sit next to what they mean; and do misspellings land on the word they misspell?

Pairs are scored in both directions: the rank of one word among the other's nearest vocabulary neighbours.
``hits@10`` is the share of directions where it is within the 10 nearest, ``mrr`` the mean reciprocal rank (0
beyond rank 100). Misspellings (one letter dropped, doubled or swapped; none of them in the vocabulary) count as
recovered when the intended word is among the 5 nearest neighbours of the misspelling's vector: only vectors with
subwords (FastText) can do this; others score 0. Pairs with a word the vectors lack are reported, not scored.

Exact pairs are a hard test for a corpus of a few million tokens (nursing notes say "lasix", transcriptions
"furosemide"), so neighbourhoods are scored too: the share of drug names (the rules' drug lexicon) among the 10
nearest neighbours of each drug in the pairs, and the share of medication words (drugs, routes, frequencies, units)
among those of each route and frequency abbreviation, each beside its chance level (that share in the vocabulary).
"""

from __future__ import annotations

import logging

from typing import Collection

import numpy as np
from gensim.models import KeyedVectors

from ehr_models.embeddings.vectors import has_subwords

_LOGGER = logging.getLogger(__name__)
BRAND_GENERIC = (
    ("lasix", "furosemide"), ("coumadin", "warfarin"), ("tylenol", "acetaminophen"), ("lopressor", "metoprolol"),
    ("toprol", "metoprolol"), ("protonix", "pantoprazole"), ("lipitor", "atorvastatin"), ("plavix", "clopidogrel"),
    ("norvasc", "amlodipine"), ("synthroid", "levothyroxine"), ("xanax", "alprazolam"), ("ativan", "lorazepam"),
    ("valium", "diazepam"), ("motrin", "ibuprofen"), ("advil", "ibuprofen"), ("zocor", "simvastatin"),
    ("prilosec", "omeprazole"), ("lovenox", "enoxaparin"), ("haldol", "haloperidol"), ("flagyl", "metronidazole"),
    ("vanco", "vancomycin"), ("keflex", "cephalexin"), ("augmentin", "amoxicillin"), ("zoloft", "sertraline"),
    ("prozac", "fluoxetine"), ("percocet", "oxycodone"), ("neurontin", "gabapentin"), ("asa", "aspirin"),
    ("mso0", "morphine"), ("levaquin", "levofloxacin"), ("cipro", "ciprofloxacin"), ("kcl", "potassium"),
    ("nitro", "nitroglycerin"), ("decadron", "dexamethasone"), ("benadryl", "diphenhydramine"),
    ("zantac", "ranitidine"), ("colace", "docusate"), ("dulcolax", "bisacodyl"), ("ventolin", "albuterol"),
    ("solumedrol", "methylprednisolone"),
)
ROUTES = (
    ("po", "oral"), ("iv", "intravenous"), ("iv", "intravenously"), ("im", "intramuscular"),
    ("im", "intramuscularly"), ("sq", "subcutaneous"), ("sc", "subcutaneous"), ("sq", "subcutaneously"),
    ("pr", "rectal"), ("pr", "rectally"), ("sl", "sublingual"), ("ngt", "ng"),
)
FREQUENCIES = (
    ("bid", "tid"), ("tid", "qid"), ("qd", "daily"), ("bid", "twice"), ("qhs", "bedtime"), ("qhs", "nightly"),
    ("prn", "needed"), ("q0h", "q0hr"), ("daily", "weekly"),
)
GROUPS = {"brand_generic": BRAND_GENERIC, "route": ROUTES, "frequency": FREQUENCIES}
MISSPELT = ("metoprolol", "furosemide", "coumadin", "lopressor", "vancomycin", "heparin", "insulin", "morphine",
            "acetaminophen", "albuterol", "prednisone", "mechanical", "potassium", "ciprofloxacin", "lorazepam",
            "hypertension", "pneumonia", "diabetes", "tablet", "intravenous")
MAX_RANK = 100
UNITS = frozenset("mg mcg g gm grams units unit ml cc meq mmol tab tabs tablet tablets capsule capsules puffs "
                  "puff nebs neb drops patch".split())
ABBREVIATIONS = ("po", "iv", "im", "sq", "sc", "pr", "sl", "bid", "tid", "qid", "qd", "prn", "qhs", "q0h")


def misspellings(word: str) -> list[str]:
    """Three deterministic misspellings of ``word``: last letter dropped, a middle letter doubled, two middle
    letters swapped ("metoprolo", "metoprrolol", "metorpolol")."""
    middle = len(word) // 2
    swapped = word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]
    return [word[:-1], word[:middle] + word[middle] + word[middle:], swapped]


def _rank(vectors: KeyedVectors, query: np.ndarray, target: str, exclude: str | None) -> int | None:
    """1-based rank of ``target`` among the vocabulary neighbours of ``query`` (``exclude`` not counted)."""
    neighbours = vectors.similar_by_vector(query, topn=MAX_RANK + 1)
    words = [word for word, _ in neighbours if word != exclude]
    return words.index(target) + 1 if target in words[:MAX_RANK] else None


def score_pairs(vectors: KeyedVectors, pairs) -> dict:
    ranks, missing = [], []
    for left, right in pairs:
        if left not in vectors.key_to_index or right not in vectors.key_to_index:
            missing.append(f"{left}/{right}")
            continue
        for query, target in ((left, right), (right, left)):
            ranks.append(_rank(vectors, vectors.get_vector(query), target, query))
    scored = len(ranks)
    return {"directions": scored, "missing": missing,
            "hits@10": round(sum(1 for r in ranks if r and r <= 10) / scored, 3) if scored else 0.0,
            "mrr": round(sum(1 / r for r in ranks if r) / scored, 3) if scored else 0.0}


def score_misspellings(vectors: KeyedVectors) -> dict:
    found = total = 0
    for word in MISSPELT:
        if word not in vectors.key_to_index:
            continue
        for wrong in misspellings(word):
            if wrong in vectors.key_to_index:
                continue
            total += 1
            if has_subwords(vectors):
                rank = _rank(vectors, vectors.get_vector(wrong), word, None)
                found += bool(rank and rank <= 5)
    return {"misspellings": total, "recovered@5": round(found / total, 3) if total else 0.0}


def drug_words() -> frozenset[str]:
    """Single-token names of the rules' drug lexicon, normalized (loads the lexicon: a few seconds)."""
    from ehr_models.rules.lexicon import DrugLexicon
    from ehr_models.text import normalize_token

    return frozenset(normalize_token(key) for key in DrugLexicon().entries if " " not in key)


def _share(vectors: KeyedVectors, queries, category: Collection[str]) -> dict:
    shares = [sum(word in category for word, _ in vectors.most_similar(query, topn=10)) / 10
              for query in queries if query in vectors.key_to_index]
    chance = sum(word in category for word in vectors.index_to_key) / max(1, len(vectors.index_to_key))
    return {"queries": len(shares), "share@10": round(sum(shares) / len(shares), 3) if shares else 0.0,
            "chance": round(chance, 3)}


def score_neighbourhoods(vectors: KeyedVectors, drugs: Collection[str]) -> dict:
    medication = set(drugs) | UNITS | {word for pairs in (ROUTES, FREQUENCIES) for pair in pairs for word in pair}
    drug_queries = sorted({word for pair in BRAND_GENERIC for word in pair})
    return {"drug": _share(vectors, drug_queries, drugs), "abbreviation": _share(vectors, ABBREVIATIONS, medication)}


def evaluate(vectors: KeyedVectors, drugs: Collection[str] | None = None) -> dict:
    """Scores per pair group, ``overall`` (hits@10 and mrr over every scored direction), neighbourhood shares and
    misspelling recovery. ``drugs`` defaults to ``drug_words()``."""
    result = {name: score_pairs(vectors, pairs) for name, pairs in GROUPS.items()}
    directions = sum(group["directions"] for group in result.values())
    result["overall"] = {key: round(sum(g[key] * g["directions"] for g in result.values() if g["directions"])
                                    / directions, 3) if directions else 0.0 for key in ("hits@10", "mrr")}
    result["overall"]["directions"] = directions
    result["neighbourhoods"] = score_neighbourhoods(vectors, drug_words() if drugs is None else drugs)
    result["misspellings"] = score_misspellings(vectors)
    return result
