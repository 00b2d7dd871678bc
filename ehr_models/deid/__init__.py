"""De-identification: recognizers (patterns, gazetteers, context rules; a learned tagger plugs in the same way),
propagation, masking or surrogates with an offset map back to the original text. Plain Python, no Beam."""

from ehr_models.deid.engine import CONFIG_VERSION, DeidConfig, DeidConfigError, DeidEngine
from ehr_models.deid.gazetteers import SiteLists
from ehr_models.deid.offsets import OffsetMap
from ehr_models.deid.phi import LABELS, PhiSpan
from ehr_models.deid.recognizers import NoteContext, Recognizer, TaggerRecognizer, build_recognizer, register
from ehr_models.deid.transform import DeidResult

__all__ = ["CONFIG_VERSION", "DeidConfig", "DeidConfigError", "DeidEngine", "DeidResult", "LABELS", "NoteContext",
           "OffsetMap", "PhiSpan", "Recognizer", "SiteLists", "TaggerRecognizer", "build_recognizer", "register"]
