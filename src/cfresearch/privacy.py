"""Personal identifiers out of shared reports: redaction of free text and stable pseudonyms for names and ids.

Text from respondents (open answers, focus-group quotes) may carry e-mail addresses, phone numbers, web
addresses or card/account numbers: :func:`redact` masks them before a text can reach a report. Names and
respondent ids are replaced by pseudonyms (:func:`pseudonym`, :func:`pseudonymise`): the same person gets
the same pseudonym in every run and every study that uses the same key, so quotes can still be traced
across tables, but the pseudonym cannot be turned back into the name without the key (a keyed hash,
HMAC-SHA-256, RFC 2104; a plain hash of a name could be reversed by hashing a list of names).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

__all__ = ["pseudonym", "pseudonymise", "redact"]

_PATTERNS = [
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("[web address]", re.compile(r"\b(?:https?://|www\.)\S+", re.I)),
    ("[number]", re.compile(r"(?<![\w(])(?:\+?\(?\d[\d ()./-]{6,}\d)(?!\w)")),
]


def redact(text: str) -> str:
    """Mask e-mail addresses, web addresses and long digit runs (phone, card, account numbers).

    >>> redact("Call me on +44 20 7946 0958 or mail a.b@example.org")
    'Call me on [number] or mail [email]'
    """
    out = str(text)
    for token, pattern in _PATTERNS:
        out = pattern.sub(token, out)
    return out


def _key_bytes(key: str | bytes, where: str) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes) or len(key) < 8:
        raise ValueError(f"{where}: key must be a secret of at least 8 characters (keep it out of the "
                         "repository and reuse it so pseudonyms stay stable); got "
                         f"{'a short key' if isinstance(key, bytes) else type(key).__name__}")
    return key


def _canonical(value) -> str:
    """The identifier as compared: Unicode NFC, surrounding space removed, case folded."""
    return unicodedata.normalize("NFC", str(value)).strip().casefold()


def pseudonym(value, *, key: str | bytes, prefix: str = "P", length: int = 8) -> str:
    """A stable pseudonym for ``value``: ``prefix`` + ``length`` characters of base32(HMAC-SHA-256(key, value)).

    The value is compared as NFC text with surrounding space removed and case folded, so "Ana " and "ana"
    get the same pseudonym. 8 base32 characters are 40 bits: collisions are negligible below ~10⁵ people.

    >>> pseudonym("Ana Pérez", key="a-secret-key")
    'P-UWJVRI2X'
    >>> pseudonym(" ana pérez", key="a-secret-key") == pseudonym("Ana Pérez", key="a-secret-key")
    True
    """
    if not 4 <= length <= 52:
        raise ValueError(f"pseudonym: length must be between 4 and 52 characters; got {length}")
    mac = hmac.new(_key_bytes(key, "pseudonym"), _canonical(value).encode("utf-8"), hashlib.sha256).digest()
    return f"{prefix}-{base64.b32encode(mac).decode('ascii')[:length]}"


def pseudonymise(values: Iterable | pd.Series, *, key: str | bytes, prefix: str = "P",
                 length: int = 8) -> pd.Series:
    """Each value's :func:`pseudonym` (missing values stay missing), as a Series (index kept).

    >>> pseudonymise(pd.Series(["Ana", "Ben", None, "ana"]), key="a-secret-key").tolist()
    ['P-QMKIIQG7', 'P-CVWT7JOT', None, 'P-QMKIIQG7']
    """
    s = values if isinstance(values, pd.Series) else pd.Series(list(values))
    _key_bytes(key, "pseudonymise")
    uniq = {v: pseudonym(v, key=key, prefix=prefix, length=length) for v in s.dropna().unique()}
    return s.map(uniq).astype(object).where(s.notna(), None)
