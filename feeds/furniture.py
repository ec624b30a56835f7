"""Page furniture in news text: agency tags, datelines, bylines, timestamps, share bars, video lines, captions.

Feeds that carry an article's full text carry the page around it too, and an alert that opens with "(CNN)" or
"Share this withEmailFacebook…Copy this link" reads as scraped, not written. Each kind of furniture is one row of a
table below, named for what it removes, so a new one is one row and one test (tests/feeds/test_furniture.py):

- ``LEAD``: removed only at the start of the article's first paragraph (tags, datelines, bylines, date stamps);
- ``INLINE``: removed wherever it appears, leaving a paragraph break so glued neighbours come apart;
- ``CAPTION_MARKERS``: photo captions the page glued into the text ("Carlos Boente (pictured) was jailed…"); a
  sentence holding one is a caption, which the summariser does not show (see :func:`is_caption`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AGENCIES = (
    r"CNN|CNN Money|CNN Business|CNN Student News|AP|Reuters|AFP|UPI|dpa|DPA|EFE|ANSA|PA|IANS|PTI|Xinhua|TASS|"
    r"Yonhap|Kyodo|Bloomberg|Interfax|Anadolu|WIRED|Rolling Stone|EW|CNET|Mashable|Billboard|Variety|Fortune|"
    r"Money|Time|People|Health\.com|Travel \+ Leisure|Mental Floss|The Hollywood Reporter|Parade|Essence"
)
# A place in a dateline: up to four capitalised words, perhaps ", Region" twice ("New Delhi, India", "Chao Hu,
# Anhui, China").
_WORDS = r"[A-Z][\w.'\u2019-]*(?: [A-Z][\w.'\u2019-]*){0,3}"
_PLACE = rf"{_WORDS}(?:, {_WORDS}){{0,2}}"
_NAME = _WORDS
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_CLOCK = r"\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?\s*)?(?:GMT|BST|UTC|EST|EDT|CST|PST|ET|CET|CEST)?"


@dataclass(frozen=True)
class Furniture:
    """One kind of furniture: a name for tests and readers, the pattern that finds it, and literal hints.

    A pattern runs only on text that holds one of its ``hints`` (a substring test costs next to nothing, a regex
    search over a long article does not); no hints means always run.
    """

    name: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...] = ()

    def applies(self, text: str) -> bool:
        return not self.hints or any(hint in text for hint in self.hints)


LEAD: tuple[Furniture, ...] = (
    # "(CNN)Police in Japan…", "Tokyo (CNN)Police…", "(Rolling Stone)Kanye…": a tag glued to the first word.
    Furniture(
        "glued tag", re.compile(rf"^(?:{_PLACE} )?\([A-Z][\w .&+'/-]{{0,30}}\)(?=[\"'\u201c\u2018A-Z0-9])")
    ),
    # "(CNN) -- The…", "(CNN) The…", "WASHINGTON (Reuters) - …", "LONDON (AP) \u2014 …", "Kyiv (AFP) \u2013 …".
    Furniture(
        "agency tag", re.compile(rf"^(?:{_PLACE} )?\((?:{_AGENCIES})\)\s*(?:[\u2014\u2013-]{{1,2}}\s*)?")
    ),
    # "Pristina (Beta) - …": any short tag in brackets followed by a dash.
    Furniture(
        "tagged dateline",
        re.compile(rf"^(?:{_PLACE} )?\([A-Za-z][\w .'/-]{{0,30}}\)\s*[\u2014\u2013-]{{1,2}}\s+(?=\S)"),
    ),
    # "WASHINGTON \u2014 The…", "KOSOVSKA MITROVICA, Kosovo \u2014 …": a capitals dateline with a dash.
    Furniture(
        "dateline",
        re.compile(
            r"^[A-Z][A-Z.'\- ]{1,40}[A-Z.](?:, [A-Z][\w.'\- ]{1,40})?\s*[\u2014\u2013-]{1,2}\s+(?=\S)"
        ),
    ),
    # "By Jane Doe, CNN", "By Jane Doe and John Roe, CNN -- ".
    Furniture(
        "agency byline",
        re.compile(
            rf"^By {_NAME}(?:,? and {_NAME})?, (?:CNN|Reuters|AP|AFP|Associated Press|BBC News)\b"
            r"\s*(?:[\u2014\u2013-]{1,2}\s*)?[.:]?\s*"
        ),
    ),
    # "By . Daily Mail Reporter . ", "By . Associated Press . " (Daily Mail's scraped byline).
    Furniture("spaced byline", re.compile(rf"^By \. {_NAME}(?: \. and {_NAME})? \. ")),
    # "PUBLISHED: . 14:11 EST, 25 October 2013 . | . UPDATED: . 15:36 EST, 25 October 2013 . "
    Furniture(
        "published stamp",
        re.compile(
            rf"^(?:\|?\s*\.?\s*(?:PUBLISHED|UPDATED|Published|Updated|Last updated)\s*:\s*\.?\s*{_CLOCK},?\s*"
            rf"(?:\d{{1,2}} {_MONTH},? \d{{4}}|{_MONTH} \d{{1,2}},? \d{{4}})\s*\.?\s*)+"
        ),
    ),
    # "March 10, 2015 . We're…" (CNN Student News) and "18 March 2014 Last updated at 09:22 GMT…" (BBC).
    Furniture(
        "date stamp",
        re.compile(
            rf"^(?:{_MONTH} \d{{1,2}}, \d{{4}} \. |\d{{1,2}} {_MONTH} \d{{4}} Last updated at {_CLOCK}\s*)"
        ),
    ),
    # "[allAfrica] In a single decade…": a source name in brackets.
    Furniture("source tag", re.compile(r"^\[[A-Za-z][\w .&'-]{1,40}\]\s+(?=\S)")),
)

INLINE: tuple[Furniture, ...] = (
    Furniture(
        "share bar",
        re.compile(
            r"Share this with\s*(?:(?:Email|Facebook|Messenger|Twitter|Pinterest|WhatsApp|LinkedIn|Linkedin|"
            r"Reddit|SMS)\s*)*Copy this link"
        ),
        ("Share this",),
    ),
    Furniture(
        "media playback",
        re.compile(r"Media playback is (?:not supported on this device|unsupported on your device)"),
        ("Media playback",),
    ),
    Furniture(
        "scroll down",
        re.compile(r"\b(?:Scroll|SCROLL) (?:down|DOWN) for (?:video|videos|more|VIDEO)\b\.?"),
        ("croll ", "CROLL "),
    ),
    Furniture(
        "external links",
        re.compile(r"These are external links and will open in a new window"),
        ("external links",),
    ),
    Furniture(
        "image copyright",
        re.compile(r"Image copyright\s+[^\n]{1,60}?(?=Image caption|\n|$)"),
        ("Image copyright",),
    ),
    Furniture(
        "image caption",
        re.compile(r"Image caption\s+[^.!?\n]{0,200}(?:[.!?]|$)", re.MULTILINE),
        ("Image caption",),
    ),
    Furniture(
        "image credit",
        re.compile(r"\((?:Image|Photo|Picture|Photograph)s? (?:credit|courtesy|by)\s*:?[^()]{0,80}\)"),
        ("(Image", "(Photo", "(Picture"),
    ),
    # "Read more: TV Ratings: 'Empire' Audience Grows ." and "READ MORE: 5 key issues for next Israeli leader ."
    Furniture(
        "read more",
        re.compile(
            r"\b(?:Read more|READ MORE|Read More)\b(?: from [A-Z][\w]*)?\s*:[^\n]*?(?: \.(?= )|$)",
            re.MULTILINE,
        ),
        ("ead more", "ead More", "EAD MORE"),
    ),
    # A sentence that asks the reader to click: "Click here to access the transcript…", "For the latest… click here."
    # Anchored after a sentence end, so the search stays linear on long text without full stops.
    Furniture(
        "click here",
        re.compile(
            r"(?:^|(?<=[.!?\n]))[^.!?\n]*?\b(?:click|Click|CLICK) (?:here|HERE)\b[^.!?\n]*[.!?]?",
            re.MULTILINE,
        ),
        ("lick here", "lick HERE", "LICK HERE"),
    ),
    Furniture(
        "follow us", re.compile(r"\bFollow @\w+ on (?:Twitter|Instagram|X)\b[^.!?\n]*[.!?]?"), ("Follow @",)
    ),
    Furniture(
        "watch line",
        re.compile(r"\b(?:Watch|WATCH|Video|VIDEO)\s*: [^.!?\n]{1,150}(?:\?|$)", re.MULTILINE),
        ("Watch", "WATCH", "Video", "VIDEO"),
    ),
    Furniture(
        "advert line",
        re.compile(
            r"^\s*(?:Advertisement|ADVERTISEMENT|Story continues below(?: advertisement)?)\s*$", re.MULTILINE
        ),
        ("dvertisement", "ADVERTISEMENT", "Story continues"),
    ),
    Furniture(
        "published stamp",
        re.compile(
            rf"(?:\|\s*\.?\s*)?\b(?:PUBLISHED|UPDATED|Last updated)\s*:\s*\.?\s*{_CLOCK},?\s*"
            rf"(?:\d{{1,2}} {_MONTH},? \d{{4}}|{_MONTH} \d{{1,2}},? \d{{4}})\s*\.?"
        ),
        ("PUBLISHED", "UPDATED", "Last updated"),
    ),
    Furniture(
        "last updated",
        re.compile(rf"(?:\d{{1,2}} {_MONTH} \d{{4}} )?\bLast updated (?:at|on) {_CLOCK}"),
        ("Last updated",),
    ),
)

CAPTION_MARKERS = re.compile(
    r"\((?:pictured|pictured left|pictured right|pictured centre|pictured center|left|right|centre|center|"
    r"above|below|top|bottom|inset|far left|far right|second left|second right|file photo|file picture|"
    r"file image|stock image|stock photo|library picture)\)"
    r"|^(?:Pictured|PICTURED|Above|Below|Inset)\s*:",
    re.IGNORECASE,
)
# A caption the page glued, without a full stop, in front of the sentence that follows: "…higher than a colleague
# The cost of divorce can…". "The" after a lower-case word and before one is not English prose.
_GLUED_SENTENCE = re.compile(r"(?<=[a-z0-9%\u2019')]) (?=The [a-z])")


def strip_lead(paragraph: str) -> str:
    """The first paragraph without the tags, datelines, bylines and stamps in front of its first sentence."""
    for _ in range(4):
        before = paragraph
        for furniture in LEAD:
            paragraph = furniture.pattern.sub("", paragraph, count=1)
        if paragraph == before:
            break
    return paragraph


def strip_inline(text: str) -> str:
    """``text`` with share bars, video, advert and "Read more" lines replaced by paragraph breaks."""
    for furniture in INLINE:
        if furniture.applies(text):
            text = furniture.pattern.sub("\n\n", text)
    return text


def split_glued_captions(paragraph: str) -> list[str]:
    """A paragraph split where a caption without a full stop runs into the next sentence."""
    if " The " not in paragraph:
        return [paragraph]
    return [piece for piece in _GLUED_SENTENCE.split(paragraph) if piece]


def is_caption(sentence: str) -> bool:
    """A sentence that holds a photo caption ("Bishop John Folda (pictured) of the Fargo diocese…")."""
    return bool(CAPTION_MARKERS.search(sentence))
