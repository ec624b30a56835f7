"""The user's language: which languages the bot speaks and how a Telegram ``language_code`` maps to one."""
