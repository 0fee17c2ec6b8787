"""Redaction and pseudonyms: identifiers never reach a shared report; the same person keeps one pseudonym."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import subprocess

import pandas as pd
import pytest

from cfresearch.privacy import pseudonym, pseudonymise, redact


@pytest.mark.parametrize("text, expected", [
    ("mail me at jo.doe+x@mail.example.co.uk please", "mail me at [email] please"),
    ("see https://example.org/a?b=1 or www.shop.example", "see [web address] or [web address]"),
    ("card 4111 1111 1111 1111, phone (020) 7946-0958", "card [number], phone [number]"),
    ("rated 9 out of 10 in 2024", "rated 9 out of 10 in 2024"),
])
def test_redact(text, expected):
    assert redact(text) == expected


def test_pseudonym_is_the_keyed_hmac_sha256_as_openssl_computes_it():
    """RFC 2104 HMAC-SHA-256 of the NFC, case-folded value, base32, first 8 characters."""
    expected = base64.b32encode(hmac.new(b"project-secret", "anaïs".encode(), hashlib.sha256).digest())[:8].decode()
    assert pseudonym("Anaïs ", key="project-secret") == f"P-{expected}"
    if shutil.which("openssl"):
        raw = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", "project-secret", "-binary"],
                             input="anaïs".encode(), capture_output=True, check=True).stdout
        assert expected == base64.b32encode(raw)[:8].decode()


def test_pseudonyms_are_stable_keyed_and_keep_missing_values():
    names = pd.Series(["Ana", "Ben", None, "ANA"], index=[5, 6, 7, 8])
    out = pseudonymise(names, key="project-secret", prefix="R")
    assert out.index.tolist() == [5, 6, 7, 8] and out[5] == out[8] != out[6] and out[7] is None
    assert out[5].startswith("R-") and len(out[5]) == 10
    assert pseudonym("Ana", key="project-secret") != pseudonym("Ana", key="another-secret")
    with pytest.raises(ValueError, match="key must be a secret of at least 8 characters"):
        pseudonym("Ana", key="short")
    with pytest.raises(ValueError, match="length must be between 4 and 52"):
        pseudonym("Ana", key="project-secret", length=2)
