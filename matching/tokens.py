"""Splitting folded text into tokens and hashing every token, in one compiled pass over its bytes.

The matcher looks each token of an article up in tables of known words (:mod:`matching.inttable`), so it needs,
per token, a hash of its lowercase form and where it starts and ends (for explanations). The place rules, which
run compiled (:mod:`matching.place_rules`), need what they would otherwise read from the text: the case of each
token (:data:`CASE_LOWER_FIRST`...) and what the gap before it holds (:data:`GAP_ENDS_SENTENCE`...).

Two paths give the same tokens as :func:`matching.normalize.split_tokens`:
- text that is ASCII once folded (most Latin-script news) is scanned as bytes by :func:`_scan_bytes`, compiled
  with numba: ~20 µs for a 600-word article (5 KB), against ~200 µs for a regular expression plus the Python lists it
  makes, and ~50 µs for the same steps in vectorised numpy;
- any other text is cut by that regular expression, its lowercase tokens are hashed by the same scanner, and its
  gaps are read by a compiled pass over its code points.

The hash is a polynomial over the UTF-8 bytes of the lowercase token, modulo 2**64, with a base drawn at random
per process (so nobody can aim text at a collision), mixed by MurmurHash3's finaliser. A token longer than
:data:`MAX_HASHED` bytes gets hash 0, which no table holds: no query word is that long, and it keeps polynomial
collisions, which need long strings, out of reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.cache import hash_seed
from matching.jit import njit
from matching.normalize import split_tokens

MAX_HASHED = 200  # bytes: longer tokens never match a word
_SEED = hash_seed()  # secret, per installation (see matching.cache)
_BASE = np.uint64(_SEED | 1)
_MIX = np.uint64(0xFF51AFD7ED558CCD)  # MurmurHash3's finaliser constant
_33 = np.uint64(33)


def hash_seed_in_use() -> str:
    """A fingerprint of the hash seed (not the seed): what tables of hashes built by this process depend on."""
    return f"{int(word_hashes(['newsalert'])[0]):016x}"


_ALNUM = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Byte classes: 0 separator, 1 part of a word, 2 NUL (a token of its own, hash 0: the separator of fields).
_ASCII_CLASS = np.array([1 if b in _ALNUM else 2 if b == 0 else 0 for b in range(256)], np.uint8)
_WORDS_CLASS = np.array([0 if b == 32 else 2 if b == 0 else 1 for b in range(256)], np.uint8)  # by spaces
_LOWER = np.array([b + 32 if 65 <= b <= 90 else b for b in range(256)], np.uint8)
SENTENCE_END = frozenset('.!?:;"“”«»()[]…|•\n')  # a gap holding one of these ends a sentence
_END = np.array([chr(b) in SENTENCE_END for b in range(256)], np.bool_)
_SPACE = np.array([b < 128 and chr(b).isspace() for b in range(256)], np.bool_)
# What the text before a token holds, as bits of Scan.gap_flags.
GAP_ENDS_SENTENCE = 1
GAP_BLANK = 2  # only white space (or nothing)
GAP_COMMA = 4  # a comma, perhaps with white space
# What a token's letters are, as bits of Scan.case (str methods' answers).
CASE_LOWER_FIRST = 1  # token[0].islower()
CASE_UPPER_FIRST = 2  # token[0].isupper()
CASE_UPPER = 4  # token.isupper(): an acronym, or a name written in capitals
CASE_ALPHA_FIRST = 8  # token[0].isalpha()
_KEEP = np.arange(256, dtype=np.uint8)
# Code points for the gaps of text that is not ASCII: the sentence ends, and every white space str.isspace knows.
_END_CODES = np.array(sorted(map(ord, SENTENCE_END)), np.uint32)
_SPACE_CODES = np.array([c for c in range(0x3001) if chr(c).isspace()], np.uint32)


@njit
def _scan_bytes(
    data: np.ndarray, classes: np.ndarray, lower: np.ndarray, base: np.uint64
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, hash, gap flags, case bits) of each token of ``data``: runs of class-1 bytes, and each
    class-2 byte alone. Bytes are hashed through ``lower``; the flags tell what the bytes before the token hold;
    the case bits are right for ASCII letters (other text gets them from :func:`_case`). Compiled."""
    n = data.size
    # Room for a token a byte: a NUL is a token of its own, even between letters ("a\\x00b" is three).
    starts = np.empty(n + 1, np.int64)
    ends = np.empty(n + 1, np.int64)
    hashes = np.empty(n + 1, np.uint64)
    flags = np.empty(n + 1, np.uint8)
    case = np.empty(n + 1, np.uint8)
    count = 0
    ends_sentence = False
    marks = 0  # bytes before the token that are not white space
    first_mark = 0
    i = 0
    while i < n:
        byte = data[i]
        kind = classes[byte]
        if kind == 0:
            ends_sentence = ends_sentence or _END[byte]
            if not _SPACE[byte]:
                marks += 1
                if marks == 1:
                    first_mark = byte
            i += 1
            continue
        start = i
        h = np.uint64(0)
        bits = 0
        if kind == 2:
            i += 1
        else:
            if 97 <= byte <= 122:
                bits = CASE_LOWER_FIRST | CASE_ALPHA_FIRST
            elif 65 <= byte <= 90:
                bits = CASE_UPPER_FIRST | CASE_ALPHA_FIRST
            uppers = 0
            lowers = 0
            while i < n and classes[data[i]] == 1:
                b = data[i]
                uppers += 65 <= b <= 90
                lowers += 97 <= b <= 122
                h = h * base + np.uint64(lower[b]) + np.uint64(1)
                i += 1
            if uppers and not lowers:
                bits |= CASE_UPPER
            h ^= h >> _33
            h *= _MIX
            h ^= h >> _33
            if i - start > MAX_HASHED:
                h = np.uint64(0)
        starts[count] = start
        ends[count] = i
        hashes[count] = h
        flags[count] = (
            (GAP_ENDS_SENTENCE if ends_sentence else 0)
            | (GAP_BLANK if marks == 0 else 0)
            | (GAP_COMMA if marks == 1 and first_mark == 44 else 0)
        )
        case[count] = bits
        count += 1
        ends_sentence = False
        marks = 0
    return starts[:count], ends[:count], hashes[:count], flags[:count], case[:count]


def word_hashes(words: list[str]) -> np.ndarray:
    """Hashes of lowercase words (no spaces), as :func:`scan` hashes the same words in a text."""
    if not words:
        return np.zeros(0, np.uint64)
    data = np.frombuffer(" ".join(words).encode(), np.uint8)
    return _scan_bytes(data, _WORDS_CLASS, _KEEP, _BASE)[2]


def phrase_hashes(phrases: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the words of lowercase phrases (words between spaces), all phrases' words in a row, and the
    number of words of each phrase. One pass over the joined text, where splitting 400,000 place names in
    Python took half a second."""
    if not phrases:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    data = np.frombuffer("\x00".join(phrases).encode(), np.uint8)
    starts, _, hashes, _, _ = _scan_bytes(data, _WORDS_CLASS, _KEEP, _BASE)
    separator = data[starts] == 0
    lengths = np.diff(np.flatnonzero(np.concatenate(([True], separator, [True])))) - 1
    return hashes[~separator], lengths


@njit
def _code_gap_flags(
    codes: np.ndarray, starts: np.ndarray, ends: np.ndarray, end_codes: np.ndarray, space_codes: np.ndarray
) -> np.ndarray:
    """GAP_* bits of each token, from the code points before it (as :func:`_scan_bytes` sets them). Compiled."""
    out = np.zeros(starts.size, np.uint8)
    for t in range(starts.size):
        ends_sentence = False
        marks = 0
        first_mark = 0
        for i in range(ends[t - 1] if t else 0, starts[t]):
            c = codes[i]
            at = np.searchsorted(end_codes, c)
            ends_sentence = ends_sentence or (at < end_codes.size and end_codes[at] == c)
            at = np.searchsorted(space_codes, c)
            if not (at < space_codes.size and space_codes[at] == c):
                marks += 1
                if marks == 1:
                    first_mark = c
        out[t] = (
            (GAP_ENDS_SENTENCE if ends_sentence else 0)
            | (GAP_BLANK if marks == 0 else 0)
            | (GAP_COMMA if marks == 1 and first_mark == 44 else 0)
        )
    return out


@dataclass(frozen=True, slots=True)
class Scan:
    """Tokens of a folded text: ``text[starts[i]:ends[i]]`` is token i (cased, as folded)."""

    text: str
    starts: np.ndarray  # int64 per token
    ends: np.ndarray
    hashes: np.ndarray  # uint64 per token: hash of the lowercase token
    case: np.ndarray  # uint8 per token: CASE_* bits
    gap_flags: np.ndarray  # uint8 per token: GAP_* bits of the text before it

    def __len__(self) -> int:
        return self.starts.size


def scan(text: str) -> Scan:
    """Tokens of already folded ``text``: letters and digits of any script, as :func:`split_tokens` cuts them,
    and each NUL character as a token of its own (callers put one between fields; it matches nothing)."""
    if text.isascii():
        return _scan_ascii(text)
    return _scan_any(text)


def _scan_ascii(text: str) -> Scan:
    data = np.frombuffer(text.encode("ascii"), np.uint8)
    starts, ends, hashes, flags, case = _scan_bytes(data, _ASCII_CLASS, _LOWER, _BASE)
    return Scan(text, starts, ends, hashes, case, flags)


def _scan_any(text: str) -> Scan:
    tokens: list[str] = []
    starts: list[int] = []
    base = 0
    for i, part in enumerate(text.split("\x00")):
        if i:  # the NUL before this part
            tokens.append("\x00")
            starts.append(base - 1)
        toks, gaps = split_tokens(part, folded=False)
        at = base
        for gap, token in zip(gaps, toks, strict=True):
            at += len(gap)
            starts.append(at)
            at += len(token)
        tokens += toks
        base += len(part) + 1
    lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
    first = np.array(starts, np.int64)
    ends = first + lengths
    # A letter whose lowercase is longer ("İ") would shift the hash's bytes: such a token is kept as it is.
    low = [t.lower() if len(t.lower()) == len(t) else t for t in tokens]
    hashes = word_hashes(low)
    hashes[[i for i, t in enumerate(tokens) if t == "\x00"]] = 0
    case = np.fromiter(map(_case, tokens), np.uint8, len(tokens))
    codes = np.frombuffer(
        text.encode("utf-32-le", "surrogatepass"), np.uint32
    )  # feeds can hold lone surrogates
    return Scan(
        text, first, ends, hashes, case, _code_gap_flags(codes, first, ends, _END_CODES, _SPACE_CODES)
    )


def _case(token: str) -> int:
    """CASE_* bits of a token, for text that is not ASCII."""
    head = token[0]
    return (
        (CASE_LOWER_FIRST if head.islower() else 0)
        | (CASE_UPPER_FIRST if head.isupper() else 0)
        | (CASE_UPPER if token.isupper() else 0)
        | (CASE_ALPHA_FIRST if head.isalpha() else 0)
    )
