"""The lexicon-and-rules medication annotator (baseline and silver-label source)."""

from ehr_models.rules.annotator import RuleAnnotator
from ehr_models.rules.lexicon import DrugLexicon

__all__ = ["DrugLexicon", "RuleAnnotator"]
