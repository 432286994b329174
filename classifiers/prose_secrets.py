"""Passwords and session tokens written into a sentence rather than a config line.

"the password for the shared account is Blue$7x", "wifi pw is ...", "login for the staging
box: admin / ...", "changed the admin password to ...", "copy my cookie sessionid=...". The
rules run on the normalised view (typos such as "pasword" already folded) and return
``(kind, start, end, value)`` in view offsets; the credentials detector decides with its
own password and secret tests whether the value is one.
"""

from __future__ import annotations

import re

Hit = tuple[str, int, int, str]

# Greedy to the next space; a closing quote or sentence punctuation is trimmed afterwards.
_VALUE = r"[\"'`]?([^\s\"'`,;<>()\[\]{}]{6,64})"
_TRAILING = ".,;:?\"'`"
# A password keyword, up to 40 characters of the same sentence, then "is", ":" or "to"; a
# user name may come first ("admin / Secret1", "demo@acme.io and Secret1").
_SENTENCE_PASSWORD = re.compile(
    r"(?i)\b(?:password|passwd|passcode|passphrase|pw|pwd|login|log-in|credentials?|"
    r"(?:the|my|wifi|wi-fi|admin|root|door|his|her|their|our)\s+pass(?=\s*(?:is|=|:)))\b"
    r"[^.!?\n:=]{0,40}?(?:\s(?:is|was|are|to|=)\s+|\s*[:=]\s*|\s+->\s+)"
    r"(?:(?:literally|just|now|still|actually|simply|currently|basically|probably)\s+)?"
    r"(?!//)(?:[\w.+\-]+(?:@[\w.\-]+)?\s*(?:/|and|,|:)\s*)?(?!//)" + _VALUE
)
# name=value session cookies and tokens.
_SESSION_PAIR = re.compile(
    r"(?i)(?<![\w.])((?:phpsessid|jsessionid|asp\.net_sessionid|sessionid|session_id|"
    r"session[_\-]?token|sid|connect\.sid|_session|laravel_session|ci_session|"
    r"auth[_\-]?token|access[_\-]?token|remember_token)=([^\s\"';,]{10,400}))"
)
# "session token from devtools: <token>", "my cookie is <token>".
_SESSION_SAID = re.compile(
    r"(?i)\b(?:session(?:\s+(?:token|id|cookie|key))?|cookie|bearer\s+token|auth\s+token)\b"
    r"[^.!?\n]{0,30}?(?:\s(?:is|=)\s+|\s*:\s*|\s+)([A-Za-z0-9%_\-.~+/]{20,400}={0,2})(?![\w])"
)


# How a password is made, when the recipe is concrete: "my password is the dog's name plus
# the year". A bare "it's my dog's name" gives nothing away; a recipe with a join does.
_HINT_PART = (
    r"(?:(?:dog|cat|pet|kid|son|daughter|wife|husband|mum|mom|mother|dad|father|street|"
    r"school|team|car)'?s?\s+(?:name|birthday|number)|maiden\s+name|birth\s*(?:day|date|year)|"
    r"year\s+(?:of\s+birth|born)|the\s+year|my\s+birthday|(?:house|flat)\s+number|"
    r"zip|postcode|initials|name)"
)
_PASSWORD_HINT = re.compile(
    r"(?i)\b(?:password|passwd|passcode|pin|pw|pwd)\b[^.!?\n]{0,20}?\b(?:is|was|=|:)\s+"
    r"((?:just\s+|literally\s+)?(?:the\s+|my\s+|his\s+|her\s+|our\s+)?[^.!?\n]{0,30}?"
    + _HINT_PART
    + r"[^.!?\n]{0,12}?\s*(?:\+|plus|and then|then|followed by|with|and)\s+"
    r"(?:the\s+|my\s+|his\s+|her\s+|a\s+)?(?:[^.!?\n]{0,20}?" + _HINT_PART + r"|\d{1,4}|[!@#$%&*]+"
    r"|(?:an?\s+)?(?:exclamation mark|number|digit|symbol)s?))"
)


def hints(text: str) -> list[Hit]:
    """Passwords described by their recipe; the value is the recipe itself."""
    return [
        ("password_hint", m.start(1), m.end(1), m.group(1)) for m in _PASSWORD_HINT.finditer(text)
    ]


def passwords(text: str) -> list[Hit]:
    out = []
    for m in _SENTENCE_PASSWORD.finditer(text):
        value = m.group(1).rstrip(_TRAILING)
        out.append(("password_assignment", m.start(1), m.start(1) + len(value), value))
    return out


def sessions(text: str) -> list[Hit]:
    out = [
        ("session_token", m.start(1), m.end(1), m.group(2)) for m in _SESSION_PAIR.finditer(text)
    ]
    out.extend(
        ("session_token", m.start(1), m.end(1), m.group(1)) for m in _SESSION_SAID.finditer(text)
    )
    return out
