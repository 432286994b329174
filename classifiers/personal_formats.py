"""Personal data in its written formats: e-mails, phones, cards, IBANs, bank accounts,
national IDs (IP addresses are in :mod:`classifiers.personal_ip`).

Each kind has a cheap regular expression that finds candidates and a validator that keeps
only values that can be real (Luhn for cards, the IBAN checksum, python-stdnum for national
IDs, phonenumbers for phones); words around a match move its score. The detector
(:mod:`classifiers.personal_data`) runs these on the post and on its normalised view and
settles overlaps.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.es import dni as es_dni
from stdnum.it import codicefiscale as it_cf
from stdnum.us import ssn as us_ssn

from classifiers.leak_text import clamp, digits_only, window
from classifiers.literal_gate import LiteralGate
from classifiers.prose_cues import quiet

_JOKE = re.compile(r"example|fake|not real|made up|dummy|sample|placeholder|fictional|test")

# --- e-mail -------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,24}(?![\w@])"
)
_EXAMPLE_DOMAINS = re.compile(
    r"@(?:[\w-]+\.)*(?:example|test|invalid|localhost|domain|email|yourcompany|company)"
    r"\.(?:com|org|net|test|invalid)$",
    re.IGNORECASE,
)
# Shared role mailboxes are published on purpose; they are not a person's data.
_ROLE_LOCAL = re.compile(
    r"^(?:info|support|contact|sales|press|hello|help|noreply|no-reply|admin|careers|jobs|team|"
    r"marketing|media|office|service|webmaster|privacy|security|abuse|postmaster|hr|billing|"
    r"demo|test)@",
    re.IGNORECASE,
)

# --- phone --------------------------------------------------------------------------------
_PHONE = re.compile(
    r"(?<![\w+/.:\-=#@$€£])"
    r"(?:\+|00)?\(?\d[\d().\- ]{5,24}\d"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?"
    r"(?![\w/%€$£]|[.,:\-]\d)"
)
_PHONE_BEFORE = re.compile(
    r"(?:phone|mobile|cell|tel|telephone|fax|desk|call|text|whatsapp|sms|ring|dial|reach|"
    r"contact|(?:phone|mobile|cell|contact|my|his|her|their|new) (?:number|no\.?)|"
    r"messages? to|answering at|registered|hotline|landline|signal)"
    r"[^\w]*(?:\w+[^\w]+){0,4}$"
)
_PHONE_AFTER = re.compile(r"^[\s\-,:]*(?:office|fax|mobile|cell|home|work|desk|tel)")
_DATE = re.compile(r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{2}|\d{4}))$")
_YEAR_RANGE = re.compile(r"^(?:1[89]|20)\d\d\s*-\s*(?:1[89]|20)?\d\d$")
_MONEY_BEFORE = re.compile(r"(?:[$€£¥]|usd|eur|gbp)\s*$")
# NANP 555 numbers are reserved for fiction: a 555 number is a joke or an example.
_NANP_555 = re.compile(r"^(?:\+?1[\s.\-]?)?(?:\(?\d{3}\)?[\s.\-]*)?555[\s.\-]*\d{4}$")

# --- payment cards ------------------------------------------------------------------------
_CARD = re.compile(
    r"(?<![\w.\-+])(?:\d{12,19}|\d{4}([ \-])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ \-])\d{6}\2\d{4,5})"
    r"(?![\w]|[.\-]\d)"
)
# Issuer prefixes of the card networks: Visa, Mastercard (incl. 2-series), Amex, Diners,
# Discover, JCB (incl. 15-digit 1800/2131), Maestro, UnionPay.
_CARD_IIN = re.compile(
    r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(?:0[0-5]|[689])|6011|64[4-9]|65|"
    r"35(?:2[89]|[3-8])|1800|2131|5018|5020|5038|56|57|58|6304|6759|676[1-3]|62|6[0-9])"
)
# Irregular groups ("45391 488 0343 6467", "4485 . 2563 . 2299 . 1971"): only with a card word.
_CARD_LOOSE = re.compile(r"(?<![\w.\-+])\d{3,6}(?:\s?[ .\-]\s?\d{2,6}){2,5}(?![\w]|[.\-]\d)")
_CARD_CONTEXT = LiteralGate(
    re.compile(r"card|\bcc\b|visa|master|amex|credit|debit|cvv|cvc|expir|billing|payment|charge")
)
# Numbers published by the card networks for testing: never a real customer's card.
_TEST_CARDS = frozenset(
    {
        "4111111111111111",
        "4242424242424242",
        "4012888888881881",
        "4000056655665556",
        "5555555555554444",
        "5105105105105100",
        "5200828282828210",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "6011000990139424",
        "3530111333300000",
        "30569309025904",
        "38520000023237",
    }
)

# --- IBAN and bank accounts ---------------------------------------------------------------
_IBAN = re.compile(
    r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?"
    r"(?![\w])"
)
_BANK_ACCOUNT = re.compile(
    r"(?:account|acct|a/c)\s*(?:number|no\.?|num|#)?\s*(?:is|:)?\s*(\d[\d \-]{5,16}\d)(?!\d)",
    re.IGNORECASE,
)

# --- national IDs -------------------------------------------------------------------------
_SSN = re.compile(r"(?<![\w\-])\d{3}-\d{2}-\d{4}(?![\w]|-\d)")
_SSN_CONTEXT = re.compile(r"ssn|social security|social sec|\bss#|tax id|\btin\b")
_ID_BY_CONTEXT = re.compile(
    r"(?:driver'?s?\s+licen[cs]e|licen[cs]e|passport|national\s+id(?:entity)?|id\s+card|"
    r"identity\s+card|social\s+security|\bssn|social\s+insurance|tax\s+id|\bnino|"
    r"national\s+insurance|personal\s+id|\bid|\bdl|nhs)"
    r"\s*(?:number|no\.?|num|#)\s*(?:is|:|=)?\s*"
    r"|(?:driver'?s?\s+licen[cs]e|passport|\bssn|\bnino)\s*(?:is|:)\s*",
    re.IGNORECASE,
)
_ID_GATE = LiteralGate(
    re.compile(r"licen|passport|ssn|social|tax|nino|insurance|nhs|identit|\bid\b|\bdl\b")
)
_ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{4,19}(?![\w])")
_DNI = re.compile(r"(?<![\w])\d{8}-?[A-Za-z](?![\w])")
_CODICE_FISCALE = re.compile(r"(?<![\w])[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z](?![\w])")

# Pre-filters: most posts have no digit run, no "@" and no IBAN-shaped token.
DIGITS3 = re.compile(r"\d\W?\d\W?\d")
IBAN_HINT = re.compile(r"[A-Za-z]{2}\d{2}")


def decimal_digits(text: str) -> int:
    """How many characters of ``text`` the pattern ``\\d`` matches (any script's digits)."""
    if text.isascii():
        return len(text) - len(text.encode("ascii").translate(None, b"0123456789"))
    return sum(map(str.isdecimal, text))


@dataclass(frozen=True)
class Candidate:
    """A possible finding: its kind, span, score and the value as written."""

    kind: str
    start: int
    end: int
    score: float
    value: str


# What ``_EMAIL`` allows just before and just after its "@".
_LOCAL_END = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")


def may_hold_email(text: str) -> bool:
    """False only when ``_EMAIL`` cannot match: no "@" stands between an address's characters
    (an @mention has a space or nothing before it)."""
    at = text.find("@", 1)
    while at != -1:
        if text[at - 1] in _LOCAL_END and text[at + 1 : at + 2] in _DOMAIN_START:
            return True
        at = text.find("@", at + 1)
    return False


def emails(text: str) -> list[Candidate]:
    out = []
    for m in _EMAIL.finditer(text) if may_hold_email(text) else ():
        value = m.group(0)
        if _EXAMPLE_DOMAINS.search(value):
            continue
        token_start = max(text.rfind(" ", 0, m.start()), text.rfind("\n", 0, m.start()))
        if "://" in text[token_start + 1 : m.start()]:
            continue  # the user:password@host part of a web address, not a mailbox
        score = 0.45 if _ROLE_LOCAL.match(value) else 0.85
        before, after = window(text, m.start(), m.end(), 30, 20)
        if _JOKE.search(before) or _JOKE.search(after):
            score -= 0.3
        out.append(Candidate("email", m.start(), m.end(), score, value))
    return out


def phones(text: str, regions: Sequence[str]) -> list[Candidate]:
    out = []
    for m in _PHONE.finditer(text):
        value = m.group(0).strip()
        start = m.start()
        end = start + len(value)
        score = _phone_score(text, value, start, end, regions)
        if score > 0:
            out.append(Candidate("phone", start, end, score, value))
    return out


def _phone_score(text: str, value: str, start: int, end: int, regions: Sequence[str]) -> float:
    main = re.split(r"\s?(?:x|ext\.?)\s?\d", value, maxsplit=1)[0]
    if main.startswith("(") and ")" not in main:
        main = main[1:]
    digits = digits_only(main)
    if not 7 <= len(digits) <= 15:
        return 0.0
    if _DATE.match(main) or _YEAR_RANGE.match(main) or len(set(digits)) <= 2:
        return 0.0
    before, after = window(text, start, end, 40, 20)
    if _MONEY_BEFORE.search(before) or after.startswith(("%", "k ", "m ")):
        return 0.0
    if quiet(before, len(before)):
        return 0.0  # a score, a product or order number, a room
    if _NANP_555.match(main):
        return 0.1  # 555 numbers are reserved for films and jokes
    international = main.startswith(("+", "00"))
    valid = possible = False
    if international:
        try:
            num = phonenumbers.parse(
                "+" + main.lstrip("+0") if main.startswith("00") else main, None
            )
            valid = phonenumbers.is_valid_number(num)
            possible = phonenumbers.is_possible_number(num)
        except phonenumbers.NumberParseException:
            return 0.0
    else:
        for region in regions:
            try:
                num = phonenumbers.parse(main, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(num):
                valid = possible = True
                break
            possible = possible or phonenumbers.is_possible_number(num)
    has_format = bool(re.search(r"[\s\-.()]", main)) or international
    context = bool(_PHONE_BEFORE.search(before) or _PHONE_AFTER.match(after))
    # Two digit groups without context are mostly house numbers ("17151 2450 Crown St").
    groups = len(re.findall(r"\d+", main))
    if valid:
        score = 0.6 if has_format and (groups != 2 or international) else 0.45
    elif possible or (context and 7 <= len(digits) <= 12):
        score = 0.4 if has_format else 0.3
    else:
        return 0.0
    if context:
        score += 0.3
    if _JOKE.search(before) or _JOKE.search(after):
        score -= 0.35
    return clamp(score)


def cards(text: str) -> list[Candidate]:
    out = []
    loose = _CARD_CONTEXT.search(text.lower()) is not None  # irregular groups need it
    for m in _CARD_LOOSE.finditer(text) if loose else ():
        if _CARD.fullmatch(m.group(0)):
            continue  # the strict pattern reports it below
        digits = digits_only(m.group(0))
        before, after = window(text, m.start(), m.end(), 40, 20)
        if (
            13 <= len(digits) <= 19
            and luhn.is_valid(digits)
            and _CARD_IIN.match(digits)
            and _CARD_CONTEXT.search(before)
            and not _JOKE.search(before + after)
        ):
            out.append(Candidate("credit_card", m.start(), m.end(), 0.75, m.group(0)))
    for m in _CARD.finditer(text):
        value = m.group(0)
        digits = digits_only(value)
        if not 12 <= len(digits) <= 19 or not luhn.is_valid(digits):
            continue
        if len(set(digits)) <= 2:
            continue
        before, after = window(text, m.start(), m.end(), 40, 20)
        if quiet(before, len(before)):
            continue  # a part, order or model number
        context = bool(_CARD_CONTEXT.search(before) or _CARD_CONTEXT.search(after))
        if digits in _TEST_CARDS:
            score = 0.2
        elif _CARD_IIN.match(digits):
            score = 0.8 if len(digits) >= 13 else 0.55
        else:
            score = 0.4
        if context:
            score += 0.15
        if _JOKE.search(before) or _JOKE.search(after):
            score -= 0.35
        out.append(Candidate("credit_card", m.start(), m.end(), clamp(score), value))
    return out


def ibans(text: str) -> list[Candidate]:
    out = []
    for m in _IBAN.finditer(text):
        value = m.group(0)
        compact = value.replace(" ", "").upper()
        # The regex may have swallowed a following word: try shorter groups too.
        while len(compact) >= 15 and not std_iban.is_valid(compact):
            if " " not in value:
                compact = ""
                break
            value = value.rsplit(" ", 1)[0]
            compact = value.replace(" ", "").upper()
        if len(compact) < 15:
            continue
        before, _ = window(text, m.start(), m.end(), 40, 0)
        score = 0.9
        if _JOKE.search(before):
            score -= 0.35
        out.append(Candidate("iban", m.start(), m.start() + len(value), score, value))
    return out


def bank_accounts(text: str) -> list[Candidate]:
    out = []
    for m in _BANK_ACCOUNT.finditer(text):
        value = m.group(1)
        digits = digits_only(value)
        if not 6 <= len(digits) <= 18 or len(set(digits)) <= 2:
            continue
        out.append(Candidate("bank_account", m.start(1), m.end(1), 0.7, value))
    return out


def national_ids(text: str, digits: int | None = None) -> list[Candidate]:
    """National ID numbers; ``digits``: ``decimal_digits(text)`` when the caller has it."""
    out: list[Candidate] = []
    n = decimal_digits(text) if digits is None else digits
    lower = text.lower()
    for m in _SSN.finditer(text) if n >= 9 else ():
        value = m.group(0)
        if not us_ssn.is_valid(value) or digits_only(value) in ("123456789", "078051120"):
            continue
        before = lower[max(0, m.start() - 40) : m.start()]
        score = 0.95 if _SSN_CONTEXT.search(before) else 0.55
        out.append(Candidate("national_id", m.start(), m.end(), score, value))
    # The context pattern is long and case-blind: run it only when one of its words is there.
    id_words = n >= 5 and _ID_GATE.search(lower) is not None
    for m in _ID_BY_CONTEXT.finditer(text) if id_words else ():
        tok = _ID_TOKEN.match(text, m.end())
        if tok is None:
            continue
        value = tok.group(0)
        digits_of = digits_only(value)
        if len(digits_of) < 5 or len(set(digits_of)) <= 1:
            continue
        out.append(Candidate("national_id", tok.start(), tok.end(), 0.85, value))
    for m in _DNI.finditer(text) if n >= 8 else ():
        if es_dni.is_valid(m.group(0)):
            out.append(Candidate("national_id", m.start(), m.end(), 0.7, m.group(0)))
    for m in _CODICE_FISCALE.finditer(text) if n >= 7 else ():
        if it_cf.is_valid(m.group(0)):
            out.append(Candidate("national_id", m.start(), m.end(), 0.85, m.group(0)))
    return out
