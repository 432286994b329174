"""IP addresses in a post: an address that is public on the internet can identify a person
or a system; private, loopback and documentation ranges identify no one outside the company.
"""

from __future__ import annotations

import ipaddress
import re

from classifiers.leak_text import window
from classifiers.personal_formats import Candidate

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,6}|"
    r"[0-9A-Fa-f]{1,4})(?![\w:])"
)
_IP_CONTEXT = re.compile(
    r"\bip\b|address|server|host|blocked|ssh|connect|firewall|vpn|login|ping|router|proxy"
)
_VERSION_BEFORE = re.compile(r"(?:version|ver\.?|v|release|build|firmware|update)\s*$")


def ipv4(text: str) -> list[Candidate]:
    out = []
    for m in _IPV4.finditer(text):
        out.extend(_ip(text, m.start(), m.end(), m.group(0)))
    return out


def ipv6(text: str) -> list[Candidate]:
    out = []
    for m in _IPV6.finditer(text):
        value = m.group(0)
        # Times like 12:30:45 are not addresses: ask for hex letters or long groups.
        if not re.search(r"[A-Fa-f]|\d{3}", value):
            continue
        out.extend(_ip(text, m.start(), m.end(), value))
    return out


def _ip(text: str, start: int, end: int, value: str) -> list[Candidate]:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return []
    before, after = window(text, start, end, 40, 20)
    if _VERSION_BEFORE.search(before):
        return []
    # Private, loopback and documentation ranges identify no one outside the company.
    if not addr.is_global:
        return []
    score = 0.55
    if _IP_CONTEXT.search(before) or _IP_CONTEXT.search(after):
        score += 0.25
    return [Candidate("ip_address", start, end, score, value)]
