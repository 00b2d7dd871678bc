"""Regular expressions for medication attributes (dosage, route, frequency, duration, reason).

Patterns are case-insensitive and written for real notes: "40mg", "40 MG", "2.5 mg", "1-2 tabs", "q4-6h",
"b.i.d.", "p.o.", "every 4 hours", "x 7 days". Each pattern finds candidates anywhere; the annotator keeps only
those it can attach to a medication (the guidelines annotate no attribute without one).
"""

from __future__ import annotations

import re

_NUMBER_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|half|a|an|one-half|one\s+and\s+a\s+half"
_ONE_NUMBER = rf"(?:\d*\.\d+|\d+(?:,\d{{3}})*(?:\.\d+)?|\d+\s*/\s*\d+|{_NUMBER_WORDS})"
_NUMBER = rf"(?:{_ONE_NUMBER}(?:\s*(?:-|to|or)\s*{_ONE_NUMBER})?)"
_UNIT = (
    r"(?:mg|mgs|milligrams?|mcg|mcgs|micrograms?|µg|ug|g|gm|gms|grams?|units?|u|iu|meq|mmol|ml|mls|cc|l|"
    r"liters?|tabs?|tablets?|caps?|capsules?|puffs?|drops?|gtts|sprays?|amps?|ampules?|vials?|patch(?:es)?|"
    r"supp(?:ositor(?:y|ies))?|packets?|doses?|teaspoons?|tsp|tablespoons?|tbsp|inh(?:alations?)?|neb|nebs|"
    r"pills?|scoops?|grains?|%)(?:'?s)?"
)
_RATE = r"(?:\s*/\s*(?:kg|hr|hour|h|min|minute|day|d|dose|m2|tablets?|ml|cc)\b|\s+(?:per|an|a)\s+(?:hour|hr|minute|min|kg)\b)*"

DOSAGE = re.compile(rf"(?<![\w.]){_NUMBER}\s*-?\s*{_UNIT}{_RATE}(?![\w])|(?<![\w.])sliding\s+scale\b", re.I)
# A bare number right after a drug name in a medication list is its dose ("Lasix 20 daily", "Tylenol 325").
BARE_DOSE = re.compile(r"\s{1,2}(\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?)(?![\w.%/:])(?!\s*(?:%|am|pm|years?|yo|y/o)\b)", re.I)

ROUTE = re.compile(
    r"(?<![\w.])(?:p\.?\s?o\.?|per\s+os|by\s+mouth|orally|oral|i\.?v\.?p\.?|i\.?v\.?\s+push|i\.?v\.?|"
    r"intravenous(?:ly)?|s\.?c\.?|s\.?q\.?|sub\s*-?\s*q|subcut(?:aneous(?:ly)?)?|i\.?m\.?|intramuscular(?:ly)?|"
    r"s\.?l\.?|sublingual(?:ly)?|p\.?r\.?|per\s+rectum|rectal(?:ly)?|topical(?:ly)?|transdermal(?:ly)?|"
    r"(?:per|via|through)\s+(?:the\s+)?(?:ngt|ng\s+tube|ogt|og\s+tube|peg(?:\s+tube)?|g\s*-?\s*tube|j\s*-?\s*tube|"
    r"ng|og)|neb(?:ulized|ulizers?|s)?|inhaled|inhalation|inhalers?|mdi(?:'?s)?|gtts?|drips?|infusion|infused|"
    r"intranasal(?:ly)?|nasal(?:\s+spray)?|sprays?|ophthalmic|intrathecal(?:ly)?|epidural|intraperitoneal(?:ly)?|"
    r"injections?|injected|patch(?:es)?|suppository|enema|(?:iv\s+)?bolus(?:es|ed)?|subq|subcu|"
    r"(?:in|into|to)\s+(?:each|both|the\s+(?:left|right))\s+(?:eyes?|ears?|nostrils?)|to\s+(?:the\s+)?eyes|"
    r"swish\s+and\s+(?:swallow|spit)|eye\s*drops|ear\s*drops)(?![\w])",
    re.I,
)

FREQUENCY = re.compile(
    r"(?<![\w.])(?:"
    r"(?:q\.?\s?(?:\d+(?:\s*-\s*\d+)?\s*(?:h|hr|hrs|hours?|hourly|min|d|days?|wk|weeks?)\.?|a\.?m\.?|p\.?m\.?|"
    r"h\.?s\.?|d\.?|o\.?d\.?|i\.?d\.?|day|daily|week|month|morning|evening|night|shift|\d+))"
    r"|b\.?i\.?d\.?|t\.?i\.?d\.?|q\.?i\.?d\.?|q\.?h\.?s\.?|h\.?s\.?|a\.?c\.?|p\.?c\.?|qday|qweek|"
    r"(?:(?:one|two|three|four|\d)\s+(?:to|or)\s+)?(?:once|twice|one|two|three|four|"
    r"(?:one|two|three|four|\d)\s*(?:x|times))\s+(?:a\s+|per\s+|each\s+)?(?:day|daily|week|weekly|month)"
    r"|(?:a|per|each|every)\s+day"
    r"|(?:once|twice)(?:\s+daily)?|daily|nightly|weekly|monthly|every\s+other\s+day|"
    r"every\s+(?:\d+(?:\s*(?:-|to)\s*\d+)?|one|two|three|four|six|eight|twelve)\s+(?:hours?|hrs?|minutes?|days?|weeks?|months?)"
    r"|every\s+(?:day|morning|evening|night|week|month)|at\s+bedtime|in\s+the\s+(?:morning|evening)|before\s+meals|"
    r"after\s+meals|with\s+meals|x\s?[1-4]|stat|prn|p\.r\.n\.?|as\s+needed|as\s+necessary|as\s+directed|"
    r"continuous(?:ly)?|on\s+(?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?)"
    r")(?:\s+(?:prn|p\.r\.n\.?|as\s+needed))?(?![\w])",
    re.I,
)

DURATION = re.compile(
    r"(?<![\w.])(?:(?:for|x|over)\s*(?:a\s+total\s+of\s+|another\s+|the\s+next\s+|an?\s+additional\s+)?"
    r"(?:approximately\s+|about\s+|up\s+to\s+)?"
    r"(?:\d+(?:\s*(?:-|to)\s*\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|fourteen|a|an)\s*"
    r"(?:more\s+|additional\s+)?(?:days?|d|weeks?|wks?|months?|mos?|years?|doses?|hours?|minutes?|cycles?)"
    r"|(?:\d+|one|two|three|four|five|six|seven|ten|fourteen)[- ](?:day|week|month)\s+course"
    r"|(?:\d+|two|three|four|five|six|seven|eight)\s+cycles"
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
