"""``newsalert run`` and ``newsalert chat``: their options only. What they run lives in :mod:`bot.cli.running`,
imported when one of them runs, so that every other command (``newsalert match`` above all) starts without
loading python-telegram-bot and the whole application.
"""

from __future__ import annotations

import argparse

from bot.cli.common import add_config_option


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="run the bot on Telegram until SIGINT/SIGTERM")
    add_config_option(run)
    run.set_defaults(func=run_command)
    chat = subparsers.add_parser("chat", help="try the bot in this terminal, no Telegram account needed")
    add_config_option(chat)
    chat.set_defaults(func=chat_command)


def run_command(args: argparse.Namespace) -> int:
    from bot.cli.running import run_command as run

    return run(args)


def chat_command(args: argparse.Namespace) -> int:
    from bot.cli.running import chat_command as chat

    return chat(args)
