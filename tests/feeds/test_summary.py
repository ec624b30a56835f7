"""Extractive summaries: the seed article, length and sentence rules, short texts, repeats, determinism."""

from __future__ import annotations

import re

from feeds.clean import clean_html
from feeds.sentences import split_sentences
from feeds.summary import summarize
from tests.feeds.conftest import SEED_ARTICLE


def seed_summary() -> str:
    return summarize(clean_html(SEED_ARTICLE.read_text("utf-8")))


def test_seed_summary_is_on_the_story() -> None:
    summary = seed_summary()
    lowered = summary.lower()
    assert "kosovo" in lowered and "clashes" in lowered
    assert "kfor" in lowered and "peacekeepers" in lowered and "injured" in lowered


def test_seed_summary_is_clean_whole_sentences() -> None:
    summary = seed_summary()
    assert len(summary) <= 400
    assert "2023-06-15" not in summary and "Kyiv" not in summary
    assert ".." not in summary
    assert "\n" not in summary and "  " not in summary
    assert summary.endswith((".", '."', "!", "?"))
    sentences = split_sentences(summary)
    assert 2 <= len(sentences) <= 3
    text = clean_html(SEED_ARTICLE.read_text("utf-8"))
    assert all(sentence in text for sentence in sentences)


def test_short_description_is_its_own_summary() -> None:
    text = "Kosovo police and Serb protesters clashed in Zvecan on Monday"
    assert summarize(text) == text


def test_limit_is_respected_and_lead_comes_first() -> None:
    sentences = [
        "Ministers argued about the budget plan for hours on Tuesday.",
        "The army was put on alert along the northern border.",
        "Harbour workers walked out over unpaid wages.",
        "Railway services were cancelled across the south.",
        "Teachers said schools would stay closed until Friday.",
        "Hospitals reported a shortage of blood supplies.",
    ] * 2
    summary = summarize(" ".join(sentences), max_chars=200)
    assert len(summary) <= 200
    assert summary.startswith("Ministers argued about the budget")
    assert 2 <= len(split_sentences(summary)) <= 3


def test_near_repeats_and_title_repeats_are_dropped() -> None:
    title = "Kosovo police clash with Serb protesters in Zvecan"
    text = (
        "Kosovo police clash with Serb protesters in Zvecan. "
        "Police in northern Kosovo used tear gas against Serb protesters outside the town hall on Friday. "
        "Police in northern Kosovo used tear gas against Serb protesters outside the town hall on Friday, witnesses said. "
        "NATO said several of its KFOR peacekeepers were injured in the unrest. "
        + "Other background follows here in a longer paragraph about the history of the region. "
        * 4
    )
    summary = summarize(text, title=title)
    assert not summary.startswith("Kosovo police clash with Serb protesters in Zvecan.")
    assert summary.count("used tear gas") == 1
    assert "KFOR peacekeepers were injured" in summary


def test_one_huge_sentence_is_cut_at_a_word() -> None:
    text = "word " * 300 + "end."
    summary = summarize(text)
    assert len(summary) <= 400
    assert summary.endswith("\u2026")
    assert not re.search(r"\bwor\u2026$", summary)


def test_deterministic_and_empty() -> None:
    assert seed_summary() == seed_summary()
    assert summarize("") == ""
    assert summarize("   \n ") == ""


def test_short_text_keeps_paragraphs_apart_and_drops_asides() -> None:
    text = (
        "Speech stirred applause while Democrats showed contempt\n\n"
        "Donald Trump promised a new moment.\n\nRelated: Fact check of the address"
    )
    assert (
        summarize(text)
        == "Speech stirred applause while Democrats showed contempt. Donald Trump promised a new moment."
    )


FILLER = " ".join(
    f"Background paragraph number {n} describes the long history of the valley in some detail."
    for n in range(8)
)


def test_a_dependent_sentence_comes_with_its_predecessor_or_not_at_all() -> None:
    text = (
        "Flooding closed the main railway line between the two cities on Tuesday morning. "
        "Engineers from the national rail operator were inspecting a damaged bridge over the river Sava. "
        "He said repairs to the flooded railway line could take several weeks to complete. " + FILLER
    )
    summary = summarize(text, max_chars=200)
    sentences = split_sentences(summary)
    assert sentences[0].startswith("Flooding closed")
    if any(s.startswith("He said") for s in sentences):
        assert any(s.startswith("Engineers") for s in sentences)


def test_captions_are_never_shown() -> None:
    text = (
        "Rescuers pulled three climbers from the glacier on Sunday after a night in the open. "
        "Mountain guide Anna Berg (pictured) led the rescue team up the glacier from the valley. "
        "The climbers were flown to hospital in Innsbruck with frostbite. " + FILLER
    )
    summary = summarize(clean_html(text))
    assert "(pictured)" not in summary
    assert summary.startswith("Rescuers pulled three climbers")


def test_short_sentences_are_allowed_and_the_budget_is_filled() -> None:
    text = (
        "The actor who played the king in the long-running drama died at his home on Sunday, his family said. "
        "He was 84. "
        "His career on stage and screen spanned six decades and more than a hundred roles in film and theatre. "
        + FILLER
    )
    summary = summarize(text, max_chars=250)
    assert "He was 84." in summary
    assert len(summary) <= 250


def test_abbreviations_and_times_are_not_sentence_ends() -> None:
    text = (
        "The Rev. Martin Cole was arrested at 5:40 a.m. March 14 outside the cathedral in the city centre. "
        "Police said the U.S. citizen would appear in court on Friday. " + FILLER
    )
    summary = summarize(text)
    assert summary.startswith("The Rev. Martin Cole was arrested at 5:40 a.m. March 14 outside the cathedral")
    assert "Police said the U.S. citizen would appear in court on Friday." in summary


def test_agency_tags_never_reach_the_summary() -> None:
    for tag in ("(CNN)", "WASHINGTON (Reuters) - ", "LONDON (AP) \u2014 ", "Tokyo (CNN)"):
        text = clean_html(tag + "Talks on the ceasefire resumed in Cairo on Monday. " + FILLER)
        assert summarize(text).startswith("Talks on the ceasefire resumed in Cairo on Monday.")


def test_a_dependent_sentence_whose_predecessor_cannot_be_shown_is_left_out() -> None:
    text = (
        "Flooding closed the main railway line between the two cities on Tuesday morning. "
        "Chief engineer Marko Petrovic (pictured) inspected the damaged bridge over the river Sava. "
        "He said repairs to the flooded railway line could take several weeks to complete. " + FILLER
    )
    summary = summarize(text)
    assert summary.startswith("Flooding closed")
    assert "He said" not in summary and "(pictured)" not in summary
    with_predecessor = text.replace(" (pictured)", "")
    assert "He said repairs" in summarize(with_predecessor)


def test_a_quote_is_never_left_open_at_the_end() -> None:
    text = (
        "The principal of the high school agreed to stand in the hallway holding a bucket. "
        '"The principal did not know why the students wanted the bucket held there. '
        'He just waited there until the bell rang at the end of the day," a student told the school paper. '
        "Students dropped notes into the bucket for the principal all morning. "
        "Snow fell across the northern valleys overnight. Ferries to the islands were cancelled."
    )
    summary = summarize(text, max_chars=200)
    assert summary.startswith("The principal of the high school agreed")
    assert summary.count('"') % 2 == 0


def test_a_heading_is_not_a_predecessor_and_a_kicker_does_not_take_the_lead() -> None:
    after_heading = (
        "Chris Truax at The Hill\n\n"
        "We have a package of constitutional rights that keep the government from becoming oppressive, he writes. "
        "Courts have upheld those rights for two centuries in case after case across the country. " + FILLER
    )
    assert summarize(after_heading).startswith("We have a package of constitutional rights")
    kicker = (
        "On Jimmy Kimmel Live!\n\n"
        "The allegations about the hush money took another twist on Tuesday night during an interview with "
        "late-night host Jimmy Kimmel that followed the State of the Union address. " + FILLER
    )
    assert summarize(kicker).startswith("The allegations about the hush money")
