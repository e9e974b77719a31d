"""The words a question is read by: the entity labels that answer each kind of question, the nouns
that only say which kind is wanted, and the words of money, of "how", of light verbs and of
verbs done together. `questions` reads a parse with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Kind = Literal[
    "person",
    "organisation",
    "place",
    "date",
    "money",
    "count",
    "percent",
    "quantity",
    "role",
    "named",
    "description",
]

# The entity labels of spaCy's English model that can answer each kind, and how well each fits.
LABELS: dict[Kind, Mapping[str, float]] = {
    "person": {"PERSON": 1.0, "ORG": 0.4},
    "organisation": {"ORG": 1.0, "PRODUCT": 0.4, "PERSON": 0.3},
    "place": {"GPE": 1.0, "LOC": 1.0, "FAC": 0.9, "ORG": 0.3},
    "date": {"DATE": 1.0, "TIME": 0.5},
    "money": {"MONEY": 1.0, "CARDINAL": 0.3},
    # "How many minutes": spaCy calls "187 minutes" a time, "three years" a date.
    "count": {
        "CARDINAL": 1.0,
        "QUANTITY": 0.7,
        "TIME": 0.6,
        "DATE": 0.6,
        "MONEY": 0.3,
        "PERCENT": 0.3,
    },
    "percent": {"PERCENT": 1.0},
    # "How old", "how long": spaCy calls "27 years" and "three hours" a date and a time.
    "quantity": {
        "QUANTITY": 1.0,
        "CARDINAL": 0.6,
        "MONEY": 0.5,
        "PERCENT": 0.6,
        "DATE": 0.6,
        "TIME": 0.6,
    },
    "role": {},
    "named": {
        "ORG": 1.0,
        "PRODUCT": 1.0,
        "WORK_OF_ART": 1.0,
        "EVENT": 1.0,
        "LAW": 1.0,
        "FAC": 0.8,
        "PERSON": 0.6,
        "GPE": 0.6,
        "NORP": 0.3,
    },
    "description": {},
}
# Nouns that only say which kind of answer is wanted ("which town", "what year"): an article
# needn't use them ("near Mendon, Missouri"). A specific one ("which senator", "the CEO") must be
# stated beside the answer.
GENERIC_HEADS = frozenset(
    [
        "person",
        "people",
        "man",
        "woman",
        "one",
        "thing",
        "company",
        "firm",
        "organisation",
        "organization",
        "group",
        "city",
        "town",
        "country",
        "nation",
        "place",
        "state",
        "region",
        "area",
        "location",
        "year",
        "month",
        "day",
        "date",
        "time",
        "week",
        "decade",
        "number",
        "amount",
        "figure",
        "percentage",
        "percent",
        "share",
        "proportion",
        "kind",
        "type",
        "sort",
        "name",
    ]
)
ROLE_HEADS = frozenset(["title", "job", "position", "role", "post", "office", "rank"])
MONEY_WORDS = frozenset(
    [
        "pay",
        "cost",
        "spend",
        "raise",
        "earn",
        "gross",
        "sell",
        "buy",
        "worth",
        "charge",
        "fine",
        "bid",
        "offer",
        "price",
        "fee",
        "salary",
        "budget",
        "revenue",
        "value",
        "deal",
        "contract",
        "fund",
        "funding",
        "loan",
        "debt",
        "damages",
        "award",
        "prize",
    ]
)
HOW = {
    "many": "count",
    "much": "quantity",
    "old": "quantity",
    "long": "quantity",
    "far": "quantity",
    "fast": "quantity",
    "big": "quantity",
    "large": "quantity",
    "tall": "quantity",
    "high": "quantity",
    "heavy": "quantity",
    "deep": "quantity",
}


def _unit_words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# "How fast", "how heavy": what a measure's answer is counted in. A number without one of these
# units ("85 passengers") says nothing of a speed or a weight. "Long" is a time or a length;
# "fast" is also the seconds from 0 to 60. A unit may be two words ("an hour").
_DURATION_UNITS = _unit_words(
    "second seconds minute minutes hour hours day days week weeks month months year years "
    "decade decades century centuries"
)
_LENGTH_UNITS = _unit_words(
    "mile miles km kilometer kilometers kilometre kilometres meter meters metre metres m cm "
    "centimeters centimetres mm foot feet ft inch inches yard yards nautical storey storeys "
    "stories floors"
)
_SPEED_UNITS = frozenset(
    ["mph", "kph", "km/h", "knot", "knots", "mach", "per hour", "an hour", "per second", "seconds"]
)
_WEIGHT_UNITS = _unit_words(
    "pound pounds lb lbs kg kilogram kilograms kilogramme kilogrammes gram grams g ton tons "
    "tonne tonnes ounce ounces oz stone"
)
MEASURE_UNITS: dict[str, frozenset[str]] = {
    "fast": _SPEED_UNITS,
    "far": _LENGTH_UNITS,
    "tall": _LENGTH_UNITS,
    "high": _LENGTH_UNITS,
    "deep": _LENGTH_UNITS,
    "long": _DURATION_UNITS | _LENGTH_UNITS,
    "heavy": _WEIGHT_UNITS,
    "weigh": _WEIGHT_UNITS,
}
# Verbs that carry no relation of their own ("what is", "what did they do").
LIGHT_VERBS = frozenset(["be", "have", "do", "get", "make", "go", "say", "tell", "happen", "want"])
MONEY_WORDS |= {"acquire", "acquisition", "purchase"}
# Verbs whose subject is two or more ("who met"): the answer is a list.
TOGETHER = frozenset(
    ["meet", "talk", "sign", "agree", "discuss", "negotiate", "attend", "join", "marry", "partner"]
)
# Words that stand for something named before ("where were *they* fired?").
PRONOUNS = frozenset({"it", "they", "them", "he", "him", "she", "her", "its", "their", "his"})
