"""Reply texts that must stay valid Telegram messages whatever users typed."""

from __future__ import annotations

from alerts.messages import MAX_MESSAGE, text_length
from handlers.subscriptions import render_list
from tests.support.telegram_html import parse_html


def test_a_huge_list_is_one_valid_message_with_working_buttons():
    rows = [{"id": 1000 + n, "raw": f"<&> “{n}” " + "x" * 190} for n in range(1, 301)]
    text, markup = render_list(rows, cap=300)
    assert text_length(text) <= MAX_MESSAGE
    parsed = parse_html(text)  # Telegram's HTML rules: raises on a bare < or a broken entity
    assert "1. <&>" in parsed.text and "more" in parsed.text
    buttons = [b for row in markup.inline_keyboard for b in row]
    assert 0 < len(buttons) <= 100
    assert buttons[0].callback_data == "unsub:1001"


def test_a_normal_list_shows_every_query_whole():
    rows = [{"id": n, "raw": f"keyword:topic{n}"} for n in range(1, 51)]
    text, markup = render_list(rows, cap=50, intro="Which one?")
    assert text.startswith("Which one?\n<b>Subscriptions</b> (50 of 50):")
    assert "50. keyword:topic50" in text and "more" not in text
    assert len([b for row in markup.inline_keyboard for b in row]) == 50
