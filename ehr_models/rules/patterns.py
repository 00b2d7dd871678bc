"""Regular expressions for medication attributes (dosage, route, frequency, duration, reason).

Patterns are case-insensitive and written for real notes: "40mg", "40 MG", "2.5 mg", "1-2 tabs", "q4-6h",
"b.i.d.", "p.o.", "every 4 hours", "x 7 days". Each pattern finds candidates anywhere; the annotator keeps only
those it can attach to a medication (the guidelines annotate no attribute without one).
"""

from __future__ import annotations

import re

_NUMBER_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|half|a|an"
_NUMBER = rf"(?:\d+(?:[.,]\d+)?(?:\s*(?:-|to|/)\s*\d+(?:\.\d+)?)?|{_NUMBER_WORDS}|one-half|1/2)"
_UNIT = (
    r"(?:mg|mgs|milligrams?|mcg|mcgs|micrograms?|µg|ug|g|gm|gms|grams?|units?|u|iu|meq|mmol|ml|mls|cc|l|"
    r"liters?|tabs?|tablets?|caps?|capsules?|puffs?|drops?|gtts|sprays?|amps?|ampules?|vials?|patch(?:es)?|"
    r"supp(?:ositor(?:y|ies))?|packets?|doses?|teaspoons?|tsp|tablespoons?|tbsp|inh(?:alations?)?|neb|nebs|"
    r"pills?)"
)
_RATE = r"(?:\s*/\s*(?:kg|hr|hour|h|min|minute|day|d|dose|m2))*"

DOSAGE = re.compile(rf"(?<![\w.]){_NUMBER}\s*-?\s*{_UNIT}{_RATE}(?![\w])", re.I)

ROUTE = re.compile(
    r"(?<![\w.])(?:p\.?\s?o\.?|per\s+os|by\s+mouth|orally|oral|i\.?v\.?p\.?|i\.?v\.?\s+push|i\.?v\.?|"
    r"intravenous(?:ly)?|s\.?c\.?|s\.?q\.?|sub\s*-?\s*q|subcut(?:aneous(?:ly)?)?|i\.?m\.?|intramuscular(?:ly)?|"
    r"s\.?l\.?|sublingual(?:ly)?|p\.?r\.?|per\s+rectum|rectal(?:ly)?|topical(?:ly)?|transdermal(?:ly)?|"
    r"(?:per|via|through)\s+(?:the\s+)?(?:ngt|ng\s+tube|ogt|og\s+tube|peg(?:\s+tube)?|g\s*-?\s*tube|j\s*-?\s*tube|"
    r"ng|og)|neb(?:ulized|ulizer|s)?|inhaled|inhalation|inhaler|gtt|drip|infusion|intranasal(?:ly)?|nasal|"
    r"ophthalmic|intrathecal(?:ly)?|epidural|injection|patch)(?![\w])",
    re.I,
)

FREQUENCY = re.compile(
    r"(?<![\w.])(?:"
    r"(?:q\.?\s?(?:\d+(?:\s*-\s*\d+)?\s*(?:h|hr|hrs|hours?|min|d|days?|wk|weeks?)|a\.?m\.?|p\.?m\.?|h\.?s\.?|d\.?|"
    r"o\.?d\.?|i\.?d\.?|day|daily|week|month|morning|evening|night|shift|\d+))"
    r"|b\.?i\.?d\.?|t\.?i\.?d\.?|q\.?i\.?d\.?|q\.?h\.?s\.?|h\.?s\.?|a\.?c\.?|p\.?c\.?|qday|qweek|"
    r"(?:once|twice|three\s+times|four\s+times|\d\s*(?:x|times))\s+(?:a\s+|per\s+|each\s+)?(?:day|daily|week|weekly|month)"
    r"|(?:once|twice)(?:\s+daily)?|daily|nightly|weekly|monthly|every\s+other\s+day|"
    r"every\s+(?:\d+(?:\s*(?:-|to)\s*\d+)?|one|two|three|four|six|eight|twelve)\s+(?:hours?|hrs?|minutes?|days?|weeks?|months?)"
    r"|every\s+(?:day|morning|evening|night|week|month)|at\s+bedtime|in\s+the\s+(?:morning|evening)|before\s+meals|"
    r"after\s+meals|with\s+meals|x\s?1|stat|prn|p\.r\.n\.?|as\s+needed|as\s+directed|continuous(?:ly)?"
    r")(?:\s+(?:prn|p\.r\.n\.?|as\s+needed))?(?![\w])",
    re.I,
)

DURATION = re.compile(
    r"(?<![\w.])(?:(?:for|x|over)\s*(?:a\s+total\s+of\s+|another\s+|the\s+next\s+|an?\s+additional\s+)?"
    r"(?:\d+(?:\s*(?:-|to)\s*\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|fourteen|a|an)\s*"
    r"(?:more\s+|additional\s+)?(?:days?|d|weeks?|wks?|months?|mos?|years?|doses?|hours?)"
    r"|until\s+(?:follow\s*-?\s*up|further\s+notice|(?:seen|evaluated)\s+by\s+\w+|(?:the\s+)?next\s+visit))(?![\w])",
    re.I,
)

# A reason follows "for" / "to treat" / "prn"; capture up to five words up to punctuation or a clause word.
_STOP = r"(?:and|for|with|w|at|in|on|as|but|which|who|since|until|starting|then|daily|the|of|x\d*|q\d*\w*|prn|po|iv|relief|effect|good)"
REASON = re.compile(
    rf"(?<![\w])(?:for|to\s+treat|for\s+treatment\s+of|for\s+management\s+of|prn|as\s+needed\s+for)\s+"
    rf"(?:(?:his|her|their|possible|presumed|suspected|likely|any|mild|severe|moderate)\s+)?"
    rf"(?P<reason>(?!{_STOP}\b)[a-z][\w/'-]*(?:\s+(?!{_STOP}\b)[a-z>][\w/'>-]*){{0,4}}(?:\s*[<>=]?\s*\d+(?:\.\d+)?)?)",
    re.I,
)
# Words that start a "for" phrase but never a reason.
NOT_REASON = re.compile(
    r"^(?:a|an|one|two|three|four|five|six|seven|ten|\d|days?|weeks?|months?|years?|hours?|doses?|now|today|"
    r"tomorrow|life|home|discharge|follow|further|total|another|next|this|that|these|those|her|his|him|them|"
    r"patient|which|what|example|instance|approximately|about|several|many|long|short|use|time|some|more|less|"
    r"evaluation|surgery|procedure|admission|management|treatment)\b",
    re.I,
)
