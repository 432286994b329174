"""Credentials and secrets: provider tokens, private keys, JWTs, passwords in URLs or settings.

Ordinary posts almost never contain a credential, and a generic "high-entropy string" test
flags ordinary text all the time (detect-secrets flagged 1,500 of 1,500 sentences in a
trial). So every rule here needs a strong anchor before it looks at entropy:

* a provider's token format (``AKIA...``, ``ghp_...``, ``xoxb-...``, ``sk_live_...``, ...),
* a private-key armour line, a JWT's two ``eyJ`` parts, a password inside a URL,
* or a keyword followed by an assignment (``password=...``, ``"token": "..."``, ``--secret
  ...``, "the wifi password is ...").

Then the value must pass an entropy or character-mix floor and must not look like a
placeholder (``your_password_here``, ``changeme``, ``xxxx``, ``${VAR}``, ``EXAMPLE``).
A pre-check skips the regular expressions on posts with no anchor at all, which is nearly
all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifiers import credential_rules, prose_secrets
from classifiers.base import DetectorConfig, Finding, PostText
from classifiers.leak_text import (
    char_classes,
    looks_like_placeholder,
    make_finding,
    overlaps,
    shannon_entropy,
)
from classifiers.literal_gate import LiteralGate
from classifiers.prose_view import normal_view

NAME = "credentials"
VERSION = "1"

_WHY = (
    "rule 4 asks you not to share internal information; delete the post and have the {} "
    "revoked or changed, since deleting does not make it secret again."
)
_EXPLAIN: dict[str, str] = {
    "aws_key": "This looks like an AWS access key; " + _WHY.format("key"),
    "github_token": "This looks like a GitHub access token; " + _WHY.format("token"),
    "gitlab_token": "This looks like a GitLab access token; " + _WHY.format("token"),
    "slack_token": "This looks like a Slack token or webhook; " + _WHY.format("token"),
    "stripe_key": "This looks like a Stripe secret key; " + _WHY.format("key"),
    "google_api_key": "This looks like a Google API key or OAuth token; " + _WHY.format("key"),
    "api_token": "This looks like an API token of an online service; " + _WHY.format("token"),
    "private_key": "This looks like a private key; " + _WHY.format("key"),
    "jwt": "This looks like a login token (JWT); " + _WHY.format("token"),
    "auth_header": "This looks like an authorization header with a token; " + _WHY.format("token"),
    "url_password": "This web address contains a user name and password; "
    + _WHY.format("password"),
    "password_assignment": "This looks like a password; " + _WHY.format("password"),
    "secret_assignment": "This looks like a secret key or token; " + _WHY.format("secret"),
    "high_entropy_string": "This long random-looking string may be a key or token; "
    + _WHY.format("secret"),
    "session_token": "This looks like a session cookie or login token; whoever has it is "
    "logged in as that person; " + _WHY.format("session"),
    "password_hint": "This describes how a password is made up, which makes it easy to "
    "guess; " + _WHY.format("password"),
}

_PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"
    r"|-----END ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----"
)
_AUTH_HEADER = re.compile(
    r"(?i:authorization|auth)[\"']?\s*[:=]\s*[\"']?(?i:bearer|basic|ntlm|token|digest)\s+"
    r"([\w\-.=+/~]{12,})"
)
_URL_PASSWORD = re.compile(
    r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,15}://([^\s:/@\"'<>]{1,64}):([^\s/@\"'<>]{3,128})@[\w.\-\[\]]+"
)
_KEYWORDS = (
    r"pass(?:word|wd|phrase|code|worsd)?s?|p(?:a?s{1,2})w(?:o?r)?d|pwd|pw"
    r"|secret(?:[_\-. ]?key)?|token|api[_\-. ]?key|apikey"
    r"|access[_\-. ]?key(?:[_\-. ]?id)?|auth(?:entication)?[_\-. ]?(?:key|token)"
    r"|private[_\-. ]?key|client[_\-. ]?secret|credentials?|key"
)
# keyword, an optional closing quote, then an assignment: ``password=``, ``"token": ``,
# ``pwd:``, ``password=>``. The keyword may be the tail of a longer name (``db_password``).
_ASSIGNMENT = re.compile(
    r"(?i)(?:(?<![a-z])|(?<=[a-z])(?=pass|secret|token))(?:[a-z0-9]+[_\-.])*?("
    + _KEYWORDS
    + r")[\"']?(?:\s*(?:[:=]|=>|:=|->|[!=]==?)\s*(?:[\"']|\\\")?|\s*,\s*[\"']|\s+[\"'])"
    r"([^\s\"',;<>(){}\[\]\\]{4,200})"
)
# Command-line flags: ``--password value``, ``-secret value``, ``--token=value``.
_CLI_FLAG = re.compile(
    r"(?i)(?<![\w\-])--?(?:[\w\-]*[\-_])?(?:password|passwd|passphrase|secret|token|api-key|"
    r"apikey|pwd|bearer)[ =][\"']?([^\s\"']{4,200})"
    r"|(?<![\w\-])-u\s+[\"']?[^:\s\"']+:([^\s\"'$]{4,200})"
)
# Plain language in a post: "the wifi password is Summer2024!".
_SAID = re.compile(
    r"(?i)\b(?:password|passcode|passwd|pin|login|wifi key|api key|token)\s+(?:is|was|=)\s+"
    r"[\"']?([^\s\"']{6,64})"
)
_B64_BLOB = re.compile(r"(?<![\w+/=\-.%])[A-Za-z0-9+/]{40,}={0,2}(?![\w+/=\-])")

# Values that are code or configuration, not a secret.
_NOT_A_VALUE = re.compile(
    r"^(?:null|none|nil|true|false|string|str|int|bool|empty|required|optional|undefined|"
    r"password|passwd|secret|token|key|value|self|this|env|os|getenv|process|config|settings|"
    r"get|set|input|default|\*+|x+|\.+|-+)$"
    r"|^[$%&@]|^(?:os|env|process|config|settings|self|this|request|params|args)\.|getenv",
    re.IGNORECASE,
)
# Every rule needs either a keyword or a long unbroken token; ordinary posts have neither.
# The keyword test runs on lower-cased text (far faster than re.IGNORECASE).
_LONG40 = re.compile(r"[A-Za-z0-9+/]{40}")
# The keywords of the assignment, flag and "password is" rules (on lower-cased text).
_KEYWORD_HINT = LiteralGate(
    re.compile(r"pa?s{0,2}w|pass|pw|pin|secret|token|key|auth|cred|login|bearer|-u\s")
)
_PROSE_HINT = LiteralGate(
    re.compile(r"pa?s{0,2}w|pass|pw|\bpin\b|login|log-in|credential|session|cookie|sid|token")
)
# The pre-check: a post with none of these (nor a 20-character token) runs no rule at all.
_ANCHOR = LiteralGate(
    re.compile(
        r"pa?s{0,2}w|pass|pw|secret|token|key|auth|cred|bearer|-----|://|-u\s|session|cookie|"
        r"sid=|login|\bpin\b"
    )
)


@dataclass(frozen=True)
class _Hit:
    kind: str
    start: int
    end: int
    score: float
    value: str
    explanation: str = ""


def _has_long_token(text: str) -> bool:
    """Whether ``text`` holds 20 non-space characters in a row (``\\S{20}``, faster)."""
    return len(text) >= 20 and max(map(len, text.split()), default=0) >= 20


def _random_enough(value: str, min_len: int, min_entropy: float) -> bool:
    """True for values that are long and mixed enough to be a real secret."""
    if len(value) < min_len or looks_like_placeholder(value):
        return False
    return shannon_entropy(value) >= min_entropy


def _looks_random_b64(value: str) -> bool:
    """Random base64 mixes cases throughout; words joined by slashes have long lower runs."""
    letters = [c for c in value if c.isalpha()]
    if not letters:
        return False
    upper = sum(c.isupper() for c in letters) / len(letters)
    longest_lower = max(len(run) for run in re.split(r"[^a-z]", value))
    has_other = any(c.isdigit() or c in "+/" for c in value)
    return 0.2 <= upper <= 0.8 and longest_lower <= 8 and (has_other or len(value) >= 48)


def _password_like(value: str) -> bool:
    """A password has to mix character classes or be long and varied; a word is not one."""
    if len(value) < 6 or _NOT_A_VALUE.search(value) or looks_like_placeholder(value):
        return False
    if credential_rules.DOC_NAME.match(value):
        return False
    if value.isalpha() and value.islower():
        return False
    return char_classes(value) >= 2 and shannon_entropy(value) >= 2.3


def _secret_like(value: str) -> bool:
    if len(value) < 10 or _NOT_A_VALUE.search(value) or looks_like_placeholder(value):
        return False
    return char_classes(value) >= 2 and shannon_entropy(value) >= 3.0


class CredentialsDetector:
    """Finds credentials and secrets in a post."""

    name = NAME
    version = VERSION

    def detect(self, post: PostText) -> list[Finding]:
        text = post.text
        lower = text.lower()
        if not _ANCHOR.search(lower) and not _has_long_token(text):
            return []
        hits: list[_Hit] = []
        # Each rule runs only when the characters it needs are there at all.
        quiet = (
            [(m.start(), m.end()) for m in credential_rules.PUBLIC.finditer(text)]
            if "pk" in text
            else []
        )
        if "-----" in text:
            hits.extend(self._private_keys(text))
        hits.extend(self._providers(text, quiet))
        if "auth" in lower:
            hits.extend(self._auth_headers(text))
        if "://" in text and "@" in text:
            hits.extend(self._url_passwords(text))
        if _KEYWORD_HINT.search(lower):
            hits.extend(self._assignments(text))
        if _PROSE_HINT.search(lower):
            hits.extend(self._prose(text))
        if _LONG40.search(text):
            hits.extend(self._blobs(text))
        kept: list[_Hit] = []
        # Strongest evidence first; a weaker rule never re-reports the same characters.
        for hit in sorted(hits, key=lambda h: (-h.score, h.start)):
            span = (hit.start, hit.end)
            if any(overlaps(span, (k.start, k.end)) for k in kept):
                continue
            if any(overlaps(span, q) for q in quiet):
                continue  # a public or test-mode value: no weaker rule reports it either
            kept.append(hit)
        kept.sort(key=lambda h: h.start)
        return [
            make_finding(
                detector=NAME,
                version=VERSION,
                category="credentials",
                kind=h.kind,
                start=h.start,
                end=h.end,
                value=h.value,
                score=h.score,
                explanation=h.explanation or _EXPLAIN[h.kind],
            )
            for h in kept
        ]

    def _private_keys(self, text: str) -> list[_Hit]:
        out = []
        for m in _PRIVATE_KEY.finditer(text):
            label = (m.group(1) or m.group(2) or "").upper()
            if re.search(r"FAKE|EMPTY|EXAMPLE|DUMMY|SAMPLE|TEST", label):
                continue
            out.append(_Hit("private_key", m.start(), m.end(), 0.95, m.group(0)))
        return out

    def _providers(self, text: str, quiet: list[tuple[int, int]]) -> list[_Hit]:
        """Matches of the credential rule table; test-mode keys only quieten their span."""
        out = []
        for m in credential_rules.find(text):
            if m.score < 0.5:
                quiet.append((m.start, m.end))
                continue
            noun = (
                "password"
                if m.rule.kind in ("url_password", "password_assignment")
                else ("key" if "key" in m.rule.what else "token")
            )
            why = f"This looks like {m.rule.label}; " + _WHY.format(noun)
            out.append(_Hit(m.rule.kind, m.start, m.end, m.score, m.value, why))
        return out

    def _auth_headers(self, text: str) -> list[_Hit]:
        return [
            _Hit("auth_header", m.start(1), m.end(1), 0.85, m.group(1))
            for m in _AUTH_HEADER.finditer(text)
            if _random_enough(m.group(1), 12, 3.0)
        ]

    def _url_passwords(self, text: str) -> list[_Hit]:
        out = []
        for m in _URL_PASSWORD.finditer(text):
            password = m.group(2)
            if _NOT_A_VALUE.search(password) or not credential_rules.url_password(m.group(0)):
                continue
            out.append(_Hit("url_password", m.start(), m.end(), 0.9, m.group(0)))
        return out

    def _assignments(self, text: str) -> list[_Hit]:
        out = []
        for m in _ASSIGNMENT.finditer(text):
            keyword, value = m.group(1).lower(), m.group(2)
            if keyword.startswith(("pass", "pw", "pwd")):
                if _password_like(value):
                    out.append(_Hit("password_assignment", m.start(2), m.end(2), 0.85, value))
            elif keyword == "key" or keyword.startswith("cred"):
                # A bare "key" is common in ordinary settings: ask for a longer random value.
                if (
                    _secret_like(value)
                    and len(value) >= 12
                    and char_classes(value) >= 3
                    and "@" not in value
                ):
                    out.append(_Hit("secret_assignment", m.start(2), m.end(2), 0.75, value))
            elif _secret_like(value):
                out.append(_Hit("secret_assignment", m.start(2), m.end(2), 0.85, value))
        for m in _CLI_FLAG.finditer(text):
            group = 1 if m.group(1) else 2
            if _password_like(m.group(group)):
                out.append(
                    _Hit("password_assignment", m.start(group), m.end(group), 0.8, m.group(group))
                )
        for m in _SAID.finditer(text):
            if _password_like(m.group(1)):
                out.append(_Hit("password_assignment", m.start(1), m.end(1), 0.8, m.group(1)))
        return out

    def _prose(self, text: str) -> list[_Hit]:
        """Passwords and session tokens in sentences, found on the normalised view."""
        view = normal_view(text)
        out = []
        for kind, start, end, value in prose_secrets.passwords(view.text):
            if _password_like(value) and not credential_rules.PUBLIC.match(value):
                s, e = view.original(start, end)
                out.append(_Hit(kind, s, e, 0.8, text[s:e]))
        for kind, start, end, _ in prose_secrets.hints(view.text):
            s, e = view.original(start, end)
            out.append(_Hit(kind, s, e, 0.55, text[s:e]))
        for kind, start, end, value in prose_secrets.sessions(view.text):
            if _secret_like(value) and not looks_like_placeholder(value):
                s, e = view.original(start, end)
                out.append(_Hit(kind, s, e, 0.8, text[s:e]))
        return out

    def _blobs(self, text: str) -> list[_Hit]:
        out = []
        for m in _B64_BLOB.finditer(text):
            value = m.group(0)
            # Part of a web address: an id in a link, not a key.
            token_start = max(text.rfind(" ", 0, m.start()), text.rfind("\n", 0, m.start()))
            if "://" in text[token_start + 1 : m.start()]:
                continue
            if not _random_enough(value, 40, 4.2) or not _looks_random_b64(value):
                continue
            out.append(_Hit("high_entropy_string", m.start(), m.end(), 0.55, value))
        return out


def build(config: DetectorConfig) -> CredentialsDetector:
    """The credentials detector; it needs nothing from the company policy."""
    return CredentialsDetector()
