"""Entity- and relation-level scoring (exact and overlap matching), per label and micro-averaged."""

from ehr_models.evaluation.spans import Scores, score_entities, score_relations

__all__ = ["Scores", "score_entities", "score_relations"]
