"""What a capable model writes: five articles, and cited answers to questions about them.

A capable model (gpt-4o-mini, a 7B+ local model) answers in its own words and cites its sources;
now and then it invents a sentence. Each question here gets such an answer: sentences the articles
support, reworded the way models reword (other words, another order, the passive or the active
voice, two source sentences merged into one), and sentences it made up, one kind of invention each.

`ScriptedModel` plays that model behind a loopback OpenAI-compatible server: it reads the numbered
sources in the prompt and cites, for each sentence, the first source taken from the article the
sentence was written from, as a model that cites correctly would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from bot.answering.prompts import REFUSAL

if TYPE_CHECKING:
    from bot.answering.checker.check import CitationChecker
    from bot.results import Answer
    from bot.service import NewsService

Supported = Literal["reworded", "reordered", "voice", "merged"]
Invented = Literal[
    "wrong number", "new name", "wrong date", "negation", "unsupported opinion", "wrong article"
]
Kind = Supported | Invented
SUPPORTED_KINDS: tuple[Supported, ...] = get_args(Supported)
INVENTED_KINDS: tuple[Invented, ...] = get_args(Invented)

ARTICLES = {
    "penang_mutiara_line.txt": """Penang's Mutiara LRT line to start running in 2031, says state exco
Published: 2025-09-12

GEORGE TOWN: The Mutiara Line, a 29.5km light rail transit (LRT) line linking Komtar to Bayan Lepas, is expected to begin operations in 2031, the Penang state government said on Thursday (Sept 11).
State transport committee chairman Lim Wei Ming said construction of the RM10.5bil project would begin in January, after the federal government approved its funding in Budget 2025.
The line will have 21 stations and has been designed to carry up to 6,000 passengers an hour in each direction at peak times, he told reporters after a briefing at the state assembly.
"This programme is not only about trains; it is about linking the island's industrial zone to the city centre and cutting the congestion that costs our economy every day," Lim said.
The project will be delivered by MRT Corp, which has appointed a joint venture led by Seri Rail Consortium as its main contractor.
He added that about 1,200 households along the route would be affected, and that the state would organise public engagement sessions in October to explain how compensation would be calculated.
The Penang Transport Master Plan, first drafted in 2015, also includes a cable car to Penang Hill and a third link to the mainland.
""",
    "riverside_levee.txt": """Riverside County supervisors approve $48 million levee along Santa Ana River
Published: 2025-03-05

Riverside County supervisors voted 4-1 on Tuesday to approve a $48 million levee along the Santa Ana River, ending a two-year debate over how to protect low-lying neighborhoods in Norco and Eastvale.
The 3.2-mile levee, which includes two pumping stations, will be built by the U.S. Army Corps of Engineers and is scheduled to be finished in the fall of 2027.
Supervisor Karen Holt, who represents the area, said the vote came a year after the storms of February 2024, when more than 900 homes were ordered evacuated.
Federal funds will cover 65 percent of the cost, and the county and the state will split the rest.
Supervisor Manuel Ortega cast the only vote against the plan, arguing that the county should first study how the levee would affect wetlands downstream.
Construction is expected to start in June, and River Road will be narrowed to one lane during the first phase of the work, county officials said.
The county has not said how many properties it will need to buy for the project.
""",
    "japan_philippines_access.txt": """Japan and Philippines sign troop access pact
Published: 2024-07-09

MANILA: Japan and the Philippines signed a Reciprocal Access Agreement on Monday (July 8), allowing each country to send troops to the other for joint training and disaster relief.
The pact was signed in Manila by Japanese Foreign Minister Yoko Kamikawa, Defence Minister Minoru Kihara and Philippine Defence Secretary Gilberto Teodoro, in a ceremony witnessed by President Ferdinand Marcos Jr.
It must still be ratified by the parliaments of both countries before it takes effect.
Japan has similar agreements with Australia and Britain, but the deal is its first such pact in Asia.
Teodoro said the agreement would strengthen cooperation in humanitarian operations, noting that the Philippines is hit by about 20 typhoons every year.
Kamikawa said Tokyo would also provide the Philippine coast guard with five more patrol vessels under an existing loan programme.
China's foreign ministry said on Tuesday that defence cooperation between countries should not target or harm the interests of any third party.
""",
    "northwind_job_cuts.txt": """Northwind Energy to cut 350 jobs as panel prices slump
Published: 2025-05-21

Northwind Energy, the Oslo-based maker of solar panels, said on Tuesday it would cut 350 jobs, about 12% of its workforce, after a slump in panel prices pushed it to a first-quarter loss.
The company reported a net loss of 41 million euros for the three months to March, compared with a profit of 18 million euros a year earlier, as revenue fell 23% to 290 million euros.
Chief executive Ingrid Solberg said most of the cuts would fall at its factory in Porsgrunn, which will stop making modules by the end of the year and concentrate on research.
"We cannot compete with the price of imported panels today, but we can compete on technology," Solberg said in a statement.
The company will keep its plant in Arizona, which opened in 2023 and supplies customers in the United States.
Shares in Northwind fell 7.5% in Oslo on Tuesday.
Unions said they had not been consulted before the announcement and would seek talks with management this week.
""",
    "kenya_rate_cut.txt": """Kenya's central bank cuts key rate to 9.5%
Published: 2025-08-13

NAIROBI: The Central Bank of Kenya lowered its benchmark lending rate by 25 basis points to 9.5% on Tuesday, its seventh consecutive cut, as inflation stayed within the government's target range.
The Monetary Policy Committee said inflation eased to 3.8% in July from 4.1% in June, helped by lower food and fuel prices.
Governor Kamau Thugge told reporters the decision was meant to support lending to the private sector, which grew by only 0.2% in the year to June.
Analysts polled by Reuters had expected the bank to hold the rate at 9.75%.
The shilling was little changed at 129.2 per dollar after the announcement.
The committee will next meet in October, and Thugge said the bank would continue to watch the effect of its earlier cuts on credit.
""",
}


@dataclass(frozen=True)
class Sentence:
    text: str  # the model's sentence, without its marker
    kind: Kind
    article: str  # the file the model cites for it

    @property
    def supported(self) -> bool:
        return self.kind in SUPPORTED_KINDS


@dataclass(frozen=True)
class Question:
    question: str
    sentences: tuple[Sentence, ...]


def _q(question: str, article: str, *sentences: tuple[Kind, str]) -> Question:
    return Question(question, tuple(Sentence(text, kind, article) for kind, text in sentences))


_A, _B, _C, _D, _E = ARTICLES

QUESTIONS = (
    _q(
        "When will Penang's Mutiara LRT line start operating?",
        _A,
        (
            "reworded",
            "Penang's state government expects the Mutiara Line to start running in 2031.",
        ),
        (
            "reordered",
            "Linking Komtar with Bayan Lepas, the 29.5km line is due to open in 2031, according "
            "to the state government.",
        ),
        (
            "voice",
            "Funding for the RM10.5 billion project was approved by the federal government in Budget 2025.",
        ),
        ("wrong date", "Construction of the line will begin in March next year."),
    ),
    _q(
        "How many stations will the Mutiara Line have and how many passengers can it carry?",
        _A,
        (
            "reworded",
            "With 21 stations, the line is designed to move as many as 6,000 passengers per hour "
            "in each direction during peak hours.",
        ),
        ("reworded", "The project will cost RM10.5 billion."),
        ("wrong number", "The line will have 25 stations."),
    ),
    _q(
        "Who is building the Mutiara Line and who will be affected?",
        _A,
        (
            "voice",
            "MRT Corp will deliver the project, with a joint venture led by Seri Rail Consortium "
            "appointed as the main contractor.",
        ),
        ("reworded", "Around 1,200 households along the route will be affected."),
        (
            "reworded",
            "The state plans to organize public engagement sessions in October to explain how "
            "compensation will be calculated.",
        ),
        ("unsupported opinion", "Residents along the route have welcomed the compensation plan."),
        ("wrong article", "Federal funds will cover 65 percent of the Mutiara Line's cost."),
    ),
    _q(
        "What else is in the Penang Transport Master Plan?",
        _A,
        (
            "reworded",
            "Besides the LRT, the master plan, first drawn up in 2015, includes a cable car up "
            "Penang Hill and a third link to the mainland.",
        ),
        (
            "reworded",
            "Lim said the programme was about linking the island's industrial zone with the city "
            "centre and easing congestion.",
        ),
    ),
    _q(
        "What did Riverside County approve?",
        _B,
        (
            "voice",
            "A $48 million levee along the Santa Ana River was approved by Riverside County "
            "supervisors in a 4-1 vote on Tuesday.",
        ),
        (
            "merged",
            "The 3.2-mile levee, with two pumping stations, will be built by the U.S. Army Corps "
            "of Engineers and should be completed in the fall of 2027.",
        ),
        ("reworded", "The levee is 3.2 miles long."),
        ("new name", "The levee will be built by the California Department of Water Resources."),
        ("wrong number", "The supervisors approved the plan by a 3-2 vote."),
    ),
    _q(
        "Why was the Riverside levee approved and who opposed it?",
        _B,
        (
            "reworded",
            "The decision ended two years of debate over how to protect low-lying parts of Norco "
            "and Eastvale.",
        ),
        (
            "voice",
            "The only vote against the plan came from Supervisor Manuel Ortega, who wanted the "
            "county to study the levee's effect on downstream wetlands first.",
        ),
        (
            "merged",
            "Supervisor Karen Holt said the vote came a year after the February 2024 storms, when "
            "more than 900 homes were evacuated.",
        ),
        ("negation", "Supervisor Manuel Ortega did not vote on the plan."),
        ("unsupported opinion", "The decision was criticised by environmental groups."),
    ),
    _q(
        "How will the Riverside levee be paid for and when does construction start?",
        _B,
        (
            "reworded",
            "Federal money will pay for 65% of the cost, with the county and the state splitting "
            "the remainder.",
        ),
        (
            "reordered",
            "According to county officials, work is set to begin in June, and River Road will be "
            "reduced to a single lane during the first phase.",
        ),
        ("wrong date", "Construction is expected to start in September."),
        (
            "wrong article",
            "Riverside County will organise public engagement sessions in October to explain "
            "compensation.",
        ),
    ),
    _q(
        "What did Japan and the Philippines sign?",
        _C,
        (
            "reordered",
            "On July 8, Japan and the Philippines signed a Reciprocal Access Agreement that lets "
            "each country send troops to the other for joint training and disaster relief.",
        ),
        (
            "voice",
            "Foreign Minister Yoko Kamikawa, Defense Minister Minoru Kihara and Philippine Defense "
            "Secretary Gilberto Teodoro signed the pact in Manila.",
        ),
        ("reworded", "Before it takes effect, both countries' parliaments must ratify the pact."),
        ("voice", "President Ferdinand Marcos Jr. witnessed the signing ceremony."),
        ("wrong date", "The agreement was signed on July 10."),
        ("new name", "The signing was witnessed by Prime Minister Fumio Kishida."),
    ),
    _q(
        "Why does the Philippines want the access pact, and how did China react?",
        _C,
        (
            "reworded",
            "Teodoro said the pact would boost cooperation on humanitarian missions, since the "
            "Philippines is struck by roughly 20 typhoons a year.",
        ),
        (
            "reordered",
            "Under an existing loan programme, Tokyo will also give the Philippine coast guard "
            "five more patrol vessels, Kamikawa said.",
        ),
        (
            "reworded",
            "China's foreign ministry stated that defense cooperation between countries should not "
            "target or harm any third party.",
        ),
        (
            "merged",
            "Japan already has similar agreements with Australia and Britain, but this is its "
            "first such pact in Asia.",
        ),
        (
            "unsupported opinion",
            "Many analysts see the pact as a turning point for regional security.",
        ),
        ("negation", "Japan does not have similar agreements with any other country."),
        ("wrong number", "Japan will provide the coast guard with 12 more patrol vessels."),
    ),
    _q(
        "Why is Northwind Energy cutting jobs?",
        _D,
        (
            "reworded",
            "Northwind Energy will eliminate 350 jobs, roughly 12% of its staff, after falling "
            "panel prices pushed it into a loss in the first quarter.",
        ),
        (
            "merged",
            "The company lost 41 million euros in the first quarter, compared with a profit of 18 "
            "million euros a year earlier, and its revenue fell 23% to 290 million euros.",
        ),
        ("reworded", "Northwind announced on Tuesday that it would cut 350 jobs."),
        ("wrong number", "The company reported a net loss of 14 million euros."),
        ("unsupported opinion", "The cuts were criticised by opposition lawmakers."),
    ),
    _q(
        "Which Northwind plants are affected by the cuts?",
        _D,
        (
            "reordered",
            "Most of the job cuts will hit the Porsgrunn factory, which will stop producing "
            "modules by year-end and focus on research, chief executive Ingrid Solberg said.",
        ),
        (
            "reworded",
            "Northwind will keep its Arizona plant, which opened in 2023 and serves customers in "
            "the US.",
        ),
        (
            "reworded",
            "Solberg stated that the company cannot compete on the price of imported panels today "
            "but can compete on technology.",
        ),
        ("voice", "A 7.5% drop in Northwind's shares was recorded in Oslo on Tuesday."),
        ("new name", "Most of the cuts will fall at its factory in Bergen."),
        ("negation", "Unions said they had been consulted before the announcement."),
    ),
    _q(
        "What did Kenya's central bank decide?",
        _E,
        (
            "voice",
            "Kenya's benchmark lending rate was lowered by the central bank by 25 basis points to "
            "9.5% on Tuesday, its seventh cut in a row.",
        ),
        (
            "reworded",
            "The Monetary Policy Committee said inflation slowed to 3.8% in July from 4.1% in June, "
            "thanks to cheaper food and fuel.",
        ),
        (
            "reworded",
            "Governor Kamau Thugge said the cut was intended to support private-sector lending, "
            "which grew just 0.2% in the year to June.",
        ),
        (
            "merged",
            "Analysts had expected the rate to stay at 9.75%, and the shilling barely moved from "
            "129.2 to the dollar after the announcement.",
        ),
        (
            "reordered",
            "The committee meets again in October, and Thugge said the bank would keep monitoring "
            "how its earlier cuts affect credit.",
        ),
        ("wrong number", "Inflation eased to 3.1% in July."),
        ("wrong date", "The committee will next meet in December."),
        ("unsupported opinion", "The decision was widely seen as a risky bet on the shilling."),
        ("wrong article", "Kenya's central bank also said it would cut 350 jobs."),
    ),
)


def all_sentences() -> list[tuple[Question, Sentence]]:
    return [(q, s) for q in QUESTIONS for s in q.sentences]


def write_articles(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


_SOURCE_HEADER = re.compile(r"^\[(\d+)\] .*\nDate: .* \| File: (.+)$", re.M)
_QUESTION = re.compile(r"^Question: (.+)$", re.M)


class ScriptedModel:
    """Answers each known question with its scripted sentences, cited to the sources in the prompt.

    A sentence is cited to the first source from its article; if the prompt has none, to [1], as a
    model that cites the wrong source would. An unknown question gets the model's refusal.
    """

    def __init__(self, questions: Sequence[Question] = QUESTIONS) -> None:
        self.answers = {q.question: q.sentences for q in questions}

    def __call__(self, messages: Sequence[dict[str, str]]) -> str:
        return " ".join(self.cited(messages)) or REFUSAL

    def cited(self, messages: Sequence[dict[str, str]]) -> list[str]:
        """The scripted sentences for the question in `messages`, each with its marker."""
        prompt = messages[-1]["content"]
        match = _QUESTION.search(prompt)
        sentences = self.answers.get(match.group(1).strip() if match else "", ())
        first_source: dict[str, int] = {}
        for n, file in _SOURCE_HEADER.findall(prompt):
            first_source.setdefault(file.strip(), int(n))
        return [f"{s.text[:-1]} [{first_source.get(s.article, 1)}]{s.text[-1]}" for s in sentences]


@dataclass(frozen=True)
class Outcome:
    """What became of one scripted sentence in the answer a user got."""

    question: Question
    sentence: Sentence
    answer: Answer

    @property
    def kept(self) -> bool:
        shown = self.answer.text if self.answer.mode == "generated" else ""
        # The checker puts the (renumbered) marker before the full stop.
        return self.sentence.text[:-1] in shown

    @property
    def right(self) -> bool:
        """Kept if the articles support it, dropped if it was invented."""
        return self.kept == self.sentence.supported


def outcomes(answers: Iterable[tuple[Question, Answer]]) -> list[Outcome]:
    return [Outcome(q, s, answer) for q, answer in answers for s in q.sentences]


def figures(results: Sequence[Outcome]) -> dict[str, tuple[int, int]]:
    """For each kind, and for "supported" and "invented" as a whole: (right, total)."""
    out: dict[str, tuple[int, int]] = {}
    for r in results:
        for key in (r.sentence.kind, "supported" if r.sentence.supported else "invented"):
            right, total = out.get(key, (0, 0))
            out[key] = (right + r.right, total + 1)
    return out


def table(results: Sequence[Outcome]) -> str:
    """The figures as a Markdown table, by kind."""
    counts = figures(results)
    lines = ["| sentences | kind | kept | dropped |", "| --- | --- | --- | --- |"]
    for group, kinds in (("supported", SUPPORTED_KINDS), ("invented", INVENTED_KINDS)):
        for kind in (*kinds, group):
            if kind not in counts:
                continue
            right, total = counts[kind]
            kept = right if group == "supported" else total - right
            label = f"**all {total}**" if kind == group else kind
            lines.append(f"| {group} | {label} | {kept} of {total} | {total - kept} of {total} |")
    return "\n".join(lines)


def check_times(checker: CitationChecker, service: NewsService) -> list[float]:
    """Seconds the checker takes on each scripted sentence alone, against its question's sources."""
    import time

    from bot.answering.prompts import answer_messages, source_views

    model = ScriptedModel()
    times = []
    for question in QUESTIONS:
        sources = source_views(service.search(question.question))
        for sentence in model.cited(answer_messages(question.question, sources)):
            started = time.perf_counter()
            checker.check(sentence, sources)
            times.append(time.perf_counter() - started)
    return times
