"""``newsalert match``: what it prints and its exit status (0 match, 1 no match, 2 bad query)."""

from __future__ import annotations

from bot.cli import main

from .conftest import SEED


def test_match_prints_understanding_and_why(capsys, gaz):
    assert main(["match", "kosovo", "--file", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert "Understood as: region:kosovo" in out
    assert "Region: Kosovo (XK)" in out
    assert "keyword:kosovo" in out
    assert "Match: “kosovo” (region Kosovo):" in out
    assert "Zvecan in text" in out


def test_no_match_exits_1(capsys, gaz):
    assert main(["match", "japan", "--file", str(SEED)]) == 1
    assert "No match." in capsys.readouterr().out


def test_text_and_title(capsys, gaz):
    assert main(["match", '"tear gas"', "--text", "nothing", "--title", "Tear gas in Zvečan"]) == 0
    assert "“tear gas” in title" in capsys.readouterr().out


def test_bad_query_exits_2_with_one_line(capsys, gaz):
    assert main(["match", "region:kosvo", "--text", "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "region:kosovo" in err


def test_unreadable_file_exits_2(capsys, tmp_path, gaz):
    assert main(["match", "nato", "--file", str(tmp_path / "missing.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err
