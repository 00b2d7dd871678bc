"""Token features of the PHI tagger, registered in ``ehr_models.tagging.features.FEATURES`` on import.

``census_name``: how common a token is as a US census given name and as a surname (``ehr_models.deid.gazetteers``,
case-insensitive): given-name rank (none, top 1,000, rarer) x surname rank (none, top 5,000, top 30,000, rarer),
one id per combination. A character CNN cannot know that "Winifred" is a name and "midnite" a misspelling; the census
can. Ordinary words that are also names ("will", "rose", "hope") carry their word vectors as well, so the network
learns when to trust the census. Registering adds a name to the shared registry and changes nothing else there.
"""

from __future__ import annotations

from typing import Sequence

from ehr_models.deid.gazetteers import census_names
from ehr_models.tagging.features import FEATURES

_FIRST_BUCKETS = ((1000, "f1"), (10**9, "f2"))
_LAST_BUCKETS = ((5000, "l1"), (30000, "l2"), (10**9, "l3"))


def _bucket(rank: int | None, buckets: tuple[tuple[int, str], ...]) -> str:
    if rank is None:
        return "-"
    return next(name for limit, name in buckets if rank <= limit)


class CensusNameFeature:
    name = "census_name"
    values = ("<pad>",) + tuple(f"{f}/{l}" for f in ("-", "f1", "f2") for l in ("-", "l1", "l2", "l3"))

    def __init__(self) -> None:
        self._index = {value: i for i, value in enumerate(self.values)}
        self._cache: dict[str, int] = {}

    def token_id(self, token: str) -> int:
        found = self._cache.get(token)
        if found is None:
            word = token.lower().replace("’", "'")
            if word.endswith("'s"):
                word = word[:-2]
            word = word.replace("'", "")
            if len(word) < 2 or not word.isalpha():
                found = self._index["-/-"]
            else:
                found = self._index[f"{_bucket(census_names('first').get(word), _FIRST_BUCKETS)}/"
                                    f"{_bucket(census_names('last').get(word), _LAST_BUCKETS)}"]
            if len(self._cache) < 200_000:
                self._cache[token] = found
        return found

    def __call__(self, tokens: Sequence[str]) -> list[int]:
        return [self.token_id(token) for token in tokens]


FEATURES.setdefault(CensusNameFeature.name, CensusNameFeature)
