"""Words that are clinical content, not identifiers: the veto that keeps drug names and nursing vocabulary unredacted.

Census name lists hold thousands of ordinary words ("will", "foley", "walker", "brown", "bill"), so a gazetteer
hit is only a name when the word is not common vocabulary. The base list below is written for this project:
function words, nursing shorthand, eponymous devices ("swan ganz", "foley", "passy muir") and the ordinary words
that census lists share. ``ClinicalVocabulary`` adds the drug lexicon's single-word names and any words learned
from a site's own notes (``ehr_models.deid.fit``).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

BASE_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against ago all almost along already also although always am among an and another
    any anyone are around as ask asked at away back be became because been before began begin begun being below
    best better between both brought but by call called came can cannot come comes could day days did do does
    doing done down during each early either else end enough even eve evening every few first for found from
    further gave get getting give given go goes going gone good got had has have having he her here him his how
    however if in into is it its just keep kept last late later least less let like little long look made make
    many may me might more most much must my near need needs never new next night no none nor not now of off
    often old on once one only or other our out over own per perhaps please prior put quite rather re remain
    remains right said same saw say see seen several shall she should since so some soon still such take taken
    than that the their them then there these they this those though through till to today told too took
    toward under until up upon us very via was way we well went were what when where whether which while who
    whole why will with within without would yet you your yes ok okay mon tue wed thu fri sat sun monday
    tuesday wednesday thursday friday saturday sunday noon morning afternoon tonight tomorrow yesterday week
    weeks weekend hour hours min mins minute minutes times time
    patient pt pts pain blood care plan clear stable vent gu gi po iv im sc sq prn bid tid qid qd qod qhs hs ac
    pc npo ivf foley aline swan ganz hickman quinton penrose jp picc cvl ett ngt ogt peg trach shiley muir passe
    passy bair hugger kling lima svg rima ecg ekg echo cath lab labs temp afeb afebrile sat sats abg vbg cxr ct
    mri kub bun cr hct wbc plt inr ptt pt na cl co mg ca phos alb tbili alt ast ldh ck cpk mb trop lytes glucose
    fs bs ls cta ra rn rrt md np pa do mae perrl perrla perla neuro resp cv cvp map hr rr bp sbp dbp spo fio
    peep cpap psv bipap simv imv ac tv vt mv rsbi nc nrb fm cm mm cc ml kg lb lbs oz mcg meq mmol units unit
    yellow white brown black green red pink blue orange purple amber tan gray grey golden dark light bright pale
    dusky rusty clear cloudy thick thin loose soft hard firm small large long short wide deep low high strong
    weak warm cool cold dry moist wet fair poor good bad fine gentle quiet pleasant angry anxious calm
    hand hands arm arms foot feet leg legs knee head face eye eyes nose lips mouth tongue neck chest back
    shoulder hip heart lung lungs lobe bowel bowels bone brain skin body shin finger toe toes groin abd abdomen
    line lines port ports wire wires pacer tube tubes drain drains bag bags pump mask collar boots cuff tape
    gauze dressing dressings staples sheets pillow bed chair commode walker cane wheelchair rail rails
    bath shower meals meal lunch dinner breakfast coffee tea water ice juice custard straw pudding diet
    floor room unit house home hospital hosp ward rehab service team staff nurse nurses nursing surgeon
    doctor physician resident intern fellow attending priest chaplain worker aide case manager social
    family son sons daughter daughters husband wife mom dad mother father brother brothers sister sisters
    friend friends niece nephew neice grandson granddaughter children child members member people person man
    woman lady gentleman male female baby boy girl self
    code full dnr dni comfort measures trial mode setting settings range level levels trend check checks
    monitor monitoring course plan reason risk state states study test tests screen sample stain culture
    cultures gram rods cocci yeast thrush rash ulcer wound site sites area areas stage grade degree scale
    point points section side sides base bases field fields core block box wall channel center
    bolus dose doses drip gtt taper start started stop stopped held hold holding drop dropped spike spikes
    rise rising rose fall falls fell falling falls walk walking walked stand standing sit sitting turn
    turns turned speak speaks spoke talk talked talking say says wake awake sleep sleeping swallow swallows
    cough coughing breath breathing voice word words english spanish french italian russian greek
    work works worked working living lives lived life love likes want wants wish wishes hope hopes hoped
    feel feels felt feeling look looks looking knows know think thinks ready able unable
    reach reached reaching pull pulling pick picking press pressure flow flows pressure leak leaks gas gases
    shock shocks beat beats wave waves sinus brady tachy paced pacing sensing capture
    free full empty double single simple overall necessary several severe slight steady constant decent
    sugar salt fat fiber protein bread rice toast
    doe fick ray law pat sang lot lue net sub ota mc al ma ale ho mi vea tee le na ng ed ax ve bi rm ion
    asp pac fent riss ros rom ace pap pao paco sao alt ing eves rad art ami pea peri pan app wedge cap
    nard trace tent levo cipro colace senna asa
    holy cross sacred general memorial university medical pharmacy contact precautions isolation regarding
    prev cont age ages aged suite crea san tel
    """.split()
)
# Ordinary words that are also given names or surnames: vetoed for a bare gazetteer hit, accepted after a strong
# cue ("son Bill", "Dr. King").
AMBIGUOUS_WORDS: frozenset[str] = frozenset(
    """
    mark grant frank bill will may joy hope faith charity grace june april august rose king bell hill wood
    woods stone rich young gay moody pace price lane cook baker cole hall ward walker case page bland strong
    short small long white black brown green gray grey gold golden foley ray pat al doe
    """.split()
)


@lru_cache(maxsize=1)
def _drug_words() -> frozenset[str]:
    from ehr_models.rules.lexicon import DrugLexicon

    words = frozenset(key for key in DrugLexicon().entries if " " not in key and key.isalpha())
    logger.info("drug lexicon veto: %d single-word names", len(words))
    return words


EMBEDDING_VOCABULARY = (Path(__file__).resolve().parents[1] / "resources" / "embeddings" / "clinical-fasttext-100d"
                        / "vocab.tsv")


@lru_cache(maxsize=1)
def _embedding_words() -> frozenset[str]:
    """Words of the shipped embedding vocabulary (de-identified clinical text, min count 5, PHI words removed):
    a word there is ordinary, so an unknown-word rule must not take it as a name."""
    if not EMBEDDING_VOCABULARY.exists():
        return frozenset()
    with open(EMBEDDING_VOCABULARY, encoding="utf-8") as handle:
        return frozenset(line.split("\t", 1)[0] for line in handle)


# Given names this common stay out of the common-word layer even when clinical text uses them ("Mark", "Rose",
# "Frank"): after a strong cue they are names ("son Mark").
COMMON_NAME_RANK = 1000


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """The embedding vocabulary's words of letters only, less the most common given names: words that
    de-identified clinical text uses often (count 5 or more), so a census list's "Stent", "Treat" or "Strong" is
    not a name on a weak cue. Shipped with the project; no note of any site is needed."""
    from ehr_models.deid.gazetteers import census_names

    first = census_names("first")
    return frozenset(w for w in _embedding_words() if w.isalpha() and first.get(w, 10**9) > COMMON_NAME_RANK)


class ClinicalVocabulary:
    """Is a word clinical or ordinary vocabulary? Base list + optional drug lexicon + site-learned words + (with
    ``common``) the words of de-identified clinical text (``_common_words``), which act like site-learned words.

    ``drug(word)`` answers for the drug lexicon alone, so the engine can count medication words it protected.
    ``plain(word)`` answers without the common-word layer (propagation spreads a strongly cued "Valley").
    """

    def __init__(self, use_drug_lexicon: bool = True, extra: frozenset[str] = frozenset(),
                 common: bool = False) -> None:
        self.use_drug_lexicon = use_drug_lexicon
        self.extra = extra
        self.common = common

    def drug(self, word: str) -> bool:
        return self.use_drug_lexicon and word.lower() in _drug_words()

    def __contains__(self, word: str) -> bool:
        """Common in any sense: a bare gazetteer hit on it is not a name."""
        lowered = word.lower()
        return self.plain(lowered) or (self.common and lowered in _common_words())

    def plain(self, word: str) -> bool:
        """``in`` without the common-word layer."""
        lowered = word.lower()
        return lowered in AMBIGUOUS_WORDS or lowered in self.extra or self.strict(lowered)

    def strict(self, word: str) -> bool:
        """Common and never plausible as a name, even after "Dr." (ambiguous names and learned words excluded)."""
        lowered = word.lower()
        return (lowered in BASE_WORDS and lowered not in AMBIGUOUS_WORDS) or self.drug(lowered)

    def known(self, word: str) -> bool:
        """In this vocabulary or in the embedding vocabulary of clinical text: not a name on a weak cue."""
        return word in self or word.lower() in _embedding_words()

    def learned(self, word: str) -> bool:
        lowered = word.lower()
        return lowered in self.extra or (self.common and lowered in _common_words())
