"""Personal data of customers or partners: e-mails, phones, cards, IBANs, national IDs, IPs.

Each kind has a cheap regular expression that finds candidates and a validator that keeps
only values that can be real (Luhn for cards, the IBAN checksum, python-stdnum for national
IDs, phonenumbers for phones); those are in :mod:`classifiers.personal_formats`, the kinds
described in prose in :mod:`classifiers.prose_personal`. Words around a match move its score:
"call me at", "card", "ssn" raise it; "example", "fake", 555 numbers and well-known test
values lower or drop it. When candidates overlap, the more specific kind wins (an SSN is not
also reported as a phone). The employee's own contact details (``PostText.own_contacts``) are
never flagged.
"""

from __future__ import annotations

from collections.abc import Sequence

from classifiers import personal_formats as formats
from classifiers import personal_ip, prose_personal
from classifiers.base import DetectorConfig, Finding, PostText
from classifiers.leak_text import (
    is_own_contact,
    lower_keeping_offsets,
    make_finding,
    overlaps,
    own_contact_keys,
)
from classifiers.personal_formats import Candidate
from classifiers.prose_view import may_rewrite, normal_view

NAME = "personal_data"
VERSION = "1"

# Below this a candidate is not reported at all (the policy ignores < 0.5 anyway; keeping
# 0.3-0.5 findings lets a reviewer see near misses when tuning).
MIN_SCORE = 0.3

_WHY = "rule 4 asks you not to share personal data of customers or partners."
_EXPLAIN: dict[str, str] = {
    "email": "This looks like someone's e-mail address; " + _WHY,
    "phone": "This looks like someone's phone number; " + _WHY,
    "credit_card": "This looks like a payment card number (it passes the card checksum); " + _WHY,
    "iban": "This looks like a bank account number (a valid IBAN); " + _WHY,
    "bank_account": "This looks like a bank account number; " + _WHY,
    "national_id": "This looks like a national ID number (social security, licence, passport "
    "or tax number); " + _WHY,
    "ip_address": "This looks like an IP address, which can identify a person or a system; " + _WHY,
    "date_of_birth": "This looks like someone's date of birth; " + _WHY,
    "location": "This looks like someone's home address or where they live; " + _WHY,
    "health_data": "This looks like someone's health condition or medication, which is "
    "especially sensitive; " + _WHY,
    "device_id": "This looks like an identifier of someone's device (IMEI, MAC address or "
    "serial number); " + _WHY,
    "one_time_code": "This looks like a one-time or two-factor login code; whoever reads it "
    "can get into the account while it is valid; " + _WHY,
}
_OWN_HINT = " If it is your own, add it to your contact details in your profile."

# More specific kinds win overlaps: an SSN also parses as a phone, a card as a bank account.
_PRIORITY = {
    "national_id": 0,
    "credit_card": 1,
    "iban": 2,
    "bank_account": 3,
    "ip_address": 4,
    "email": 5,
    "one_time_code": 6,
    "date_of_birth": 7,
    "device_id": 8,
    "phone": 9,
    "location": 10,
    "health_data": 11,
}


# The fewest digits (``\\d``) a value of each kind holds: a text with fewer is not searched
# for it (the validators in personal_formats reject shorter values).
_FEWEST_DIGITS = {"national_id": 5, "card": 12, "bank_account": 6, "ip": 4, "phone": 7}


def digit_kinds(text: str, regions: Sequence[str], *, with_ip: bool = True) -> list[Candidate]:
    """The kinds written with digits (IDs, cards, bank accounts, IP addresses, phones, IBANs),
    each searched only when ``text`` holds as many digits as its values need."""
    n = formats.decimal_digits(text)
    out = formats.national_ids(text, n) if n >= _FEWEST_DIGITS["national_id"] else []
    if n >= _FEWEST_DIGITS["card"]:
        out.extend(formats.cards(text))
    if n >= _FEWEST_DIGITS["bank_account"]:
        out.extend(formats.bank_accounts(text))
    if with_ip and n >= _FEWEST_DIGITS["ip"] and text.count(".") >= 3:
        out.extend(personal_ip.ipv4(text))
    if n >= _FEWEST_DIGITS["phone"]:
        out.extend(formats.phones(text, regions))
    if formats.IBAN_HINT.search(text):  # an IBAN has digit runs too, so only look here
        out.extend(formats.ibans(text))
    return out


class PersonalDataDetector:
    """Finds personal data of other people in a post."""

    name = NAME
    version = VERSION

    def __init__(self, phone_regions: Sequence[str] = ("US", "GB", "DE", "FR")) -> None:
        self.phone_regions = tuple(r.upper() for r in phone_regions) or ("US",)

    # -- public --------------------------------------------------------------------------
    def detect(self, post: PostText) -> list[Finding]:
        text = post.text
        candidates: list[Candidate] = []
        if "@" in text:
            candidates.extend(formats.emails(text))
        if formats.DIGITS3.search(text):
            candidates.extend(digit_kinds(text, self.phone_regions))
        if "::" in text or text.count(":") >= 3:
            candidates.extend(personal_ip.ipv6(text))
        candidates.extend(self._prose(text))
        if not candidates:
            return []
        own = own_contact_keys(post.own_contacts)
        kept: list[Candidate] = []
        # Reportable candidates first (then the more specific kind): a weak card reading of an
        # IMEI must not hide the device id the words around it name.
        ranked = sorted(
            candidates,
            key=lambda c: (c.score < 0.5, _PRIORITY[c.kind], -c.score, c.start, c.start - c.end),
        )
        for cand in ranked:
            if cand.score < MIN_SCORE:
                continue
            if any(overlaps((cand.start, cand.end), (k.start, k.end)) for k in kept):
                continue
            if cand.kind in ("email", "phone") and is_own_contact(cand.value, own):
                continue
            kept.append(cand)
        kept.sort(key=lambda c: c.start)
        return [self._finding(c) for c in kept]

    # -- prose -----------------------------------------------------------------------------
    def _prose(self, text: str) -> list[Candidate]:
        """Candidates found in the normalised view, on the employee's own characters.

        The formatted kinds run again on the view when it differs (spelled-out digits,
        folded typos); the described kinds (date of birth, home address, health, device ids,
        one-time codes, worded e-mails) always run there.
        """
        lower = lower_keeping_offsets(text)
        tags = prose_personal.GATE.tags(f" {lower} ")  # whole-word gate forms need the spaces
        if not tags:
            return []  # nearly every post: no cue word of any described kind
        view = normal_view(text) if may_rewrite(lower, tags) else None
        if view is None or view.identity:
            return [
                Candidate(kind, s, e, score, text[s:e])
                for kind, s, e, score in prose_personal.find(text, lower, tags)
            ]
        found: list[Candidate] = []
        vt = view.text
        if formats.DIGITS3.search(vt):
            found.extend(digit_kinds(vt, self.phone_regions, with_ip=False))
        lower = lower_keeping_offsets(vt)
        found.extend(
            Candidate(kind, s, e, score, vt[s:e])
            for kind, s, e, score in prose_personal.find(vt, lower)
        )
        out = []
        for c in found:
            start, end = view.original(c.start, c.end)
            out.append(Candidate(c.kind, start, end, c.score, text[start:end]))
        return out

    # -- output --------------------------------------------------------------------------
    def _finding(self, c: Candidate) -> Finding:
        explanation = _EXPLAIN[c.kind]
        if c.kind in ("email", "phone"):
            explanation += _OWN_HINT
        return make_finding(
            detector=NAME,
            version=VERSION,
            category="personal_data",
            kind=c.kind,
            start=c.start,
            end=c.end,
            value=c.value,
            score=c.score,
            explanation=explanation,
        )


def build(config: DetectorConfig) -> PersonalDataDetector:
    """The personal-data detector with the company's default phone regions."""
    return PersonalDataDetector(phone_regions=config.phone_regions)
