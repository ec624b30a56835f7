"""The alert path: matched articles → outbox rows (fanout) → Telegram messages (delivery, digests).

Rendering (messages, digest_render) and timing (quiet hours, digests, per-hour caps) live here too, so both the
running application (``bot/``) and the commands (``handlers/``) use them. This package imports neither.
"""
