"""News articles written for the tests, and the pages, feeds and exports that carry them.

Each page wraps its article in the boilerplate of a real news site: navigation, a cookie banner,
related links, a newsletter box, comments and a footer, in one of three layouts. `BOILERPLATE`
lists every sentence of it, so a test (or `benchmarks/formats.py`) can tell which sentences of a
page's extracted text are the article's and which leaked in from around it.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    published: date
    author: str
    paragraphs: tuple[str, ...]
    question: str  # a question only this story answers
    answer: str  # words the answer's quote holds

    def url(self, site: str = "https://courier.example") -> str:
        return f"{site}/news/{self.slug}"

    @property
    def sentences(self) -> list[str]:
        return [s for p in self.paragraphs for s in _sentences(p)]


def _sentences(paragraph: str) -> list[str]:
    out, current = [], ""
    for word in paragraph.split(" "):
        current = f"{current} {word}" if current else word
        if word.endswith((".", "?", "!", ".”")):
            out.append(current)
            current = ""
    return [*out, current] if current else out


STORIES = (
    Story(
        "harbour-reopens",
        "Harbour of Port Elin reopens after three-day storm",
        date(2024, 5, 2),
        "Mara Lindqvist",
        (
            "The harbour of Port Elin reopened on Thursday morning after a storm kept every ship "
            "at anchor for three days, the port authority said.",
            "Harbour master Jonas Berg said that 42 fishing boats left before dawn. The ferry to "
            "Skarholm will run a double schedule until Sunday.",
            "The storm brought gusts of 130 kilometres an hour and tore the roof off the fish "
            "market, which will stay closed for repairs until the end of May.",
            "Insurers estimate the damage along the coast at 18 million crowns, most of it to "
            "boats and piers in the old town.",
        ),
        "How many fishing boats left the harbour of Port Elin before dawn?",
        "42 fishing boats",
    ),
    Story(
        "ferry-electric-ships",
        "Northern ferry line orders two electric ships",
        date(2024, 5, 3),
        "Ola Nordby",
        (
            "The Northern Ferry Line has ordered two battery-powered ships from the Vardø shipyard "
            "for its routes between the islands, the company announced on Friday.",
            "Each ship will carry 300 passengers and 60 cars and will cost 41 million crowns. The "
            "first is due to enter service in the spring of 2026.",
            "Chief executive Liv Aasen said the new ships would cut the line's fuel bill by "
            "two thirds and make the crossing to Skarholm quieter.",
        ),
        "Which shipyard will build the battery-powered ships for the Northern Ferry Line?",
        "Vardø shipyard",
    ),
    Story(
        "market-roof-vote",
        "Council votes to rebuild the fish market roof before summer",
        date(2024, 5, 6),
        "Ines Ahlgren",
        (
            "The town council of Port Elin voted by 19 to 6 on Monday to rebuild the roof of the "
            "fish market before the summer season.",
            "The work will cost 2.4 million crowns and will be paid from the harbour fund, said "
            "councillor Petra Holm, who chairs the finance committee.",
            "Traders have sold fish from tents on the quay since the storm, and several said they "
            "had lost half of their customers.",
        ),
        "By how many votes did the council decide to rebuild the fish market roof?",
        "19 to 6",
    ),
)
# Shorter stories, one for each format a folder may hold.
BRIDGE = Story(
    "bridge-closes",
    "Skarholm bridge closes for six weeks of repairs",
    date(2024, 4, 29),
    "Petra Holm",
    (
        "The road bridge to Skarholm will close on 13 May for six weeks of repairs to its steel "
        "cables, the roads agency said.",
        "Cars will cross on a temporary ferry that runs every twenty minutes during the closure.",
    ),
    "How long will the Skarholm bridge be closed for repairs?",
    "six weeks",
)
SCHOOL = Story(
    "school-roof-solar",
    "Port Elin school puts solar panels on its roof",
    date(2024, 4, 25),
    "Ines Ahlgren",
    (
        "Port Elin primary school has covered its roof with 180 solar panels, paid for by a "
        "parents' association that raised the money over two years.",
        "Head teacher Karin Dahl said the panels would supply half of the school's electricity.",
    ),
    "How many solar panels did Port Elin primary school put on its roof?",
    "180 solar panels",
)
WATER = Story(
    "water-tower",
    "Water tower on Kirk Hill to be painted blue",
    date(2024, 4, 22),
    "Port Elin Press Office",
    (
        "The water tower on Kirk Hill will be painted sky blue this summer after residents chose "
        "the colour in a vote, the water board announced.",
        "Painters will need about nine weeks, and the tower will stay in service throughout.",
    ),
    "How long will painters need for the water tower on Kirk Hill?",
    "nine weeks",
)
MUSEUM = Story(
    "museum-reopens",
    "Maritime museum reopens with a restored herring boat",
    date(2024, 4, 20),
    "Liv Aasen",
    (
        "The maritime museum in Port Elin reopens on Saturday with the restored herring boat "
        "Solveig, built in 1911, as its centrepiece.",
        "Volunteers spent four winters replacing the boat's planks by hand.",
    ),
    "In which year was the herring boat Solveig built?",
    "1911",
)
MORE_STORIES = (BRIDGE, SCHOOL, WATER, MUSEUM)
# The story that a watch test adds to a feed while a chat runs.
LATE_STORY = Story(
    "lighthouse-keeper",
    "Lighthouse on Skarholm gets its first keeper in forty years",
    date(2024, 5, 8),
    "Mara Lindqvist",
    (
        "The lighthouse on Skarholm will have a resident keeper again from June, the coastal "
        "administration said on Wednesday, forty years after the last one left.",
        "Astrid Moen, a former ferry captain, was chosen from 230 applicants and will live in "
        "the keeper's house with her two dogs.",
    ),
    "Who was chosen as the new keeper of the Skarholm lighthouse?",
    "Astrid Moen",
)

# Every sentence of the boilerplate around the articles (navigation, banners, related links,
# newsletter, comments, footer); none of them may be quoted as news.
NAV = ("Home", "World", "Business", "Sport", "Culture", "Opinion")
COOKIE_BANNER = (
    "We use cookies to improve your experience on our site and to show you personalised advertising.",
    "By clicking accept all you agree to the storing of cookies on your device.",
)
RELATED = (
    "Fish prices climb as winter catches fall short of quotas",
    "Skarholm school celebrates its hundredth anniversary with a parade",
    "Weather service warns of more spring storms along the western coast",
)
NEWSLETTER = (
    "Sign up for our morning briefing and get the day's most important stories in your inbox.",
)
COMMENTS = (
    "This storm was the worst I have seen in forty years of living by the sea.",
    "Why did the council not repair the market roof last year when it was warned about it?",
    "The ferry company should have ordered these ships a decade ago, in my opinion.",
)
FOOTER = (
    "Copyright 2024 Coast Courier, all rights reserved.",
    "The Coast Courier is published by Coast Media Group in Port Elin.",
)
BOILERPLATE = (*COOKIE_BANNER, *RELATED, *NEWSLETTER, *COMMENTS, *FOOTER)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _nav() -> str:
    links = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in NAV)
    return f'<header class="masthead"><nav class="site-nav"><ul>{links}</ul></nav></header>'


def _cookie_banner() -> str:
    text = " ".join(COOKIE_BANNER)
    return (
        f'<div id="cookie-banner" class="cookie-consent"><p>{_e(text)}</p>'
        "<button>Accept all</button><button>Manage settings</button></div>"
    )


def _related() -> str:
    items = "".join(f'<li><a href="/news/r{i}">{_e(t)}</a></li>' for i, t in enumerate(RELATED))
    return f'<aside class="related"><h3>Related stories</h3><ul>{items}</ul></aside>'


def _comments() -> str:
    items = "".join(
        f'<div class="comment"><span class="user">reader{i}</span><p>{_e(c)}</p></div>'
        for i, c in enumerate(COMMENTS)
    )
    return f'<section id="comments" class="comments"><h3>Comments</h3>{items}</section>'


def _footer() -> str:
    return "<footer>" + "".join(f"<p>{_e(t)}</p>" for t in FOOTER) + "</footer>"


def _head(story: Story, url: str, *, meta: bool) -> str:
    tags = [
        '<meta charset="utf-8">',
        f"<title>{_e(story.title)} | Coast Courier</title>",
        f'<link rel="canonical" href="{_e(url)}">',
    ]
    if meta:
        tags += [
            f'<meta property="og:title" content="{_e(story.title)}">',
            f'<meta property="article:published_time" content="{story.published}T08:30:00Z">',
            f'<meta name="author" content="{_e(story.author)}">',
        ]
    else:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": f"{story.published}T08:30:00Z",
            "author": {"@type": "Person", "name": story.author},
        }
        tags.append(f'<script type="application/ld+json">{json.dumps(data)}</script>')
    return "<head>" + "".join(tags) + "</head>"


def news_page(story: Story, layout: int = 0, *, url: str | None = None) -> str:
    """The story as a news site's page, in layout 0 (semantic HTML, meta tags), 1 (divs and
    JSON-LD) or 2 (a newsletter box and a related link inside the article)."""
    url = url or story.url()
    body = "".join(f"<p>{_e(p)}</p>" for p in story.paragraphs)
    byline = f'<p class="byline">By {_e(story.author)}</p>'
    if layout == 0:
        main = f"<main><article><h1>{_e(story.title)}</h1>{byline}{body}</article>{_related()}{_comments()}</main>"
    elif layout == 1:
        main = (
            f'<div class="page"><div class="story"><h1 class="headline">{_e(story.title)}</h1>'
            f'<div class="story-body">{body}</div></div>'
            f'<div class="sidebar">{_related()}</div><div class="thread">{_comments()}</div></div>'
        )
    else:
        half = len(story.paragraphs) // 2 or 1
        first = "".join(f"<p>{_e(p)}</p>" for p in story.paragraphs[:half])
        rest = "".join(f"<p>{_e(p)}</p>" for p in story.paragraphs[half:])
        box = f'<div class="newsletter-signup"><p>{_e(NEWSLETTER[0])}</p><form><input></form></div>'
        read_more = f'<p class="read-more"><a href="/news/r0">Read more: {_e(RELATED[0])}</a></p>'
        main = (
            f"<main><article><h1>{_e(story.title)}</h1>{byline}{first}{box}{read_more}{rest}"
            f"</article>{_comments()}</main>"
        )
    return (
        f'<!DOCTYPE html><html lang="en">{_head(story, url, meta=layout != 1)}<body>'
        f"{_nav()}{_cookie_banner()}{main}{_footer()}</body></html>"
    )


def index_page() -> str:
    """A section front: headlines and links, no article."""
    items = "".join(
        f'<li><a href="{_e(s.url())}">{_e(s.title)}</a> <time>{s.published}</time></li>'
        for s in STORIES
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Latest news</title>'
        f'<meta property="og:type" content="website"></head><body>{_nav()}{_cookie_banner()}'
        f"<main><h1>Latest news</h1><ul>{items}</ul>{_related()}</main>{_footer()}</body></html>"
    )


def cookie_wall() -> str:
    """What a site shows instead of its article until a visitor consents."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Before you continue'
        '</title></head><body><div class="consent-wall"><h1>We value your privacy</h1>'
        "<p>We and our 842 partners store and access information on your device, such as "
        "cookies, and process personal data, such as unique identifiers, for personalised "
        "advertising and content, advertising measurement and audience research.</p>"
        "<p>You may click to consent to our and our partners' processing as described above, or "
        "reject all and read on with fewer features.</p>"
        "<button>Accept all</button><button>Reject all</button></div></body></html>"
    )


def rss_feed(stories: list[Story], *, full: bool, site: str = "https://courier.example") -> str:
    """An RSS 2.0 feed of the stories, with their full text (content:encoded) or only a teaser."""
    items = []
    for s in stories:
        content = "".join(f"<p>{_e(p)}</p>" for p in s.paragraphs)
        encoded = f"<content:encoded><![CDATA[{content}]]></content:encoded>" if full else ""
        items.append(
            f"<item><title>{_e(s.title)}</title><link>{_e(s.url(site))}</link>"
            f'<guid isPermaLink="false">cc-{s.slug}</guid>'
            f"<pubDate>{s.published:%a, %d %b %Y} 08:30:00 GMT</pubDate>"
            f"<dc:creator>{_e(s.author)}</dc:creator>"
            f"<description>{_e(s.paragraphs[0][:80])}…</description>{encoded}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Coast Courier</title>'
        f"<link>{site}/</link><language>en-gb</language>{''.join(items)}</channel></rss>"
    )


def atom_feed(stories: list[Story], *, full: bool, site: str = "https://courier.example") -> str:
    """An Atom feed of the stories, with their full text (content) or only a summary."""
    entries = []
    for s in stories:
        if full:
            content = _e("".join(f"<p>{_e(p)}</p>" for p in s.paragraphs))
            body = f'<content type="html">{content}</content>'
        else:
            body = f"<summary>{_e(s.paragraphs[0][:80])}…</summary>"
        entries.append(
            f"<entry><title>{_e(s.title)}</title><id>urn:courier:{s.slug}</id>"
            f'<link href="{_e(s.url(site))}"/><published>{s.published}T08:30:00Z</published>'
            f"<updated>{s.published}T09:00:00Z</updated><author><name>{_e(s.author)}</name>"
            f"</author>{body}</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xml:lang="en"><title>Coast Courier wire</title><id>urn:courier</id>'
        f"<updated>2024-05-08T00:00:00Z</updated>{''.join(entries)}</feed>"
    )


def export_record(story: Story, *, html_body: bool = False) -> dict[str, object]:
    """The story as a CMS exports it: one JSON object."""
    body: object = (
        "".join(f"<p>{p}</p>" for p in story.paragraphs)
        if html_body
        else "\n\n".join(story.paragraphs)
    )
    return {
        "id": f"cms-{story.slug}",
        "headline": story.title,
        "body": body,
        "published_at": f"{story.published}T08:30:00+02:00",
        "url": story.url(),
        "byline": story.author,
        "language": "en",
    }
