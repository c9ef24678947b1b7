"""The gated secret scan (cheap tests first, detectors only where they could match) finds what the full scan finds."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.secrets import find_secret

# Shapes the detectors look for, built here rather than stored so no scanner flags the repository.
FRAGMENTS = [
    "AKIA" + "IOSFODNN7EXAMPLE", "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345", "xoxb-" + "1234567890-abcdefghij",
    "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "-----BEGIN RSA " + "PRIVATE KEY-----", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
    "https://user:" + "hunter2pass@example.com/x", "password=", "PASSWORD: ", "paſſword=", "api_key", "API-KEY", "db_pass",
    "secret", "pwd", "contraseña", "Kelvin\u212aey", "'", '"', "=", ": ", " ", "\t", "\n",
    "0123456789abcdef0123456789abcdef01234567", "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA==",
    "https://ci.example.com/runs/", "Not used in this release", "Mara Lindqvist", "npm_" + "abcdefghijklmnopqrstuvwxyz0123456789",
    "AccountKey=" + "lJzRc1YdHaAA2KCNJJ1tkYwF/+mKK6Ygw0NGe170Xu592euJv2wYUtBlV8z+qnlcNQSnIYVTkLWntUO1F8j8rQ==",
]


def assert_same(text: str) -> None:
    assert find_secret(text) == find_secret(text, gated=False), repr(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=8).map("".join))
def test_gated_scan_finds_what_the_full_scan_finds(text):
    assert_same(text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FRAGMENTS), st.text(alphabet="abcdefABCDEF0123456789+/=_-'\" :", min_size=8, max_size=60))
def test_quoted_and_assigned_values(prefix, value):
    assert_same(f'{prefix} = "{value}"')
    assert_same(f"{prefix}: '{value}'")
    assert_same(f"{prefix}{value}")


def test_each_known_shape_is_still_found():
    for fragment in FRAGMENTS[:7]:
        assert find_secret(f"note {fragment}") is not None, fragment
    assert find_secret('password = "Xk9#mQ2$vL8pZr4w"') is not None
    assert find_secret("https://ci.example.com/runs/123456") is None
