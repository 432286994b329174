"""Personal data described in prose rather than formatted: the rules need a cue word.

Each rule looks for a cue ("date of birth", "lives at", "diagnosed with", "IMEI", "the code
they texted me") and a value shaped like its kind, then asks :mod:`classifiers.prose_cues`
whose it is. They run on the normalised view (:mod:`classifiers.prose_view`), so spelled-out
digits and typos of the cue words are already folded; offsets are view offsets, mapped back
by the caller. Returned as ``(kind, start, end, score)``. The health rule (conditions and
medication) is in :mod:`classifiers.prose_health`.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from stdnum import luhn
from stdnum.us import ssn as us_ssn

from classifiers.keyword_gate import TagGate, words
from classifiers.prose_cues import owned, quiet
from classifiers.prose_health import HEALTH_STEMS, Hit, health
from classifiers.prose_view import NUMBER_WORDS, TYPOS

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:19[2-9]\d|20[0-2]\d)"
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:" + _YEAR + r"|\d{2})"
    r"|" + _YEAR + r"[/.\-]\d{1,2}[/.\-]\d{1,2}"
    r"|(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+"
    + _MONTH
    + r"\.?,?\s+"
    + _YEAR
    + r"|"
    + _MONTH
    + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+"
    + _YEAR
    + r")"
)
_DOB = re.compile(
    r"(?:date\s+of\s+birth|birth\s*date|\bdob\b|d\.o\.b\.?|\bborn\b(?:\s+on)?|birthday|"
    r"\bb-?'?day\b)"
    r"[^\d\n]{0,25}?(" + _DATE + r")(?![\d])"
)

_STREET_TYPE = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|court|ct|boulevard|blvd|way|place|pl|"
    r"terrace|close|crescent|square|sq|parkway|highway|hwy|view drive|row|mews|gardens|grove|"
    r"walk|hill|rise|green|park|circle|cir|trail|pike|alley|wharf|quay)"
)
_ADDRESS = re.compile(
    r"(?<![\w#])(\d{1,5}[a-z]?\s+(?:[a-z][\w'\-]*\s+){1,3}" + _STREET_TYPE + r"\b\.?"
    r"(?:\s*,?\s*(?:apt|apartment|unit|flat|suite)\.?\s*#?\w{1,5})?"
    r"(?:,\s*(?:\d{4,5}\s+)?[a-z][a-z\-]+(?:,\s*[a-z]{2}\s*\d{5})?(?:\s+[a-z]{1,2}\d{1,2}\s*\d[a-z]{2})?)?"
    r"|(?<![\w])(?:(?!(?:at|on|to|in|is|lives?|address|the|of|and)\b)[a-z][\w'\-]*\s+){1,3}"
    + _STREET_TYPE
    + r"\s+\d{1,5}[a-z]?"
    r"(?:,\s*(?:\d{4,5}\s+)?[a-z][a-z\-]+)?"
    r"|(?:\d{1,5}\s+)?[a-z]{3,}(?:strasse|straße|str\.|weg|gasse|platz|allee)\b(?:\s+\d{1,4}[a-z]?)?"
    r"(?:\s*,?\s*(?:apt|apartment|unit|flat)\.?\s*#?\w{1,5})?(?:,\s*\d{5}\s+[a-z][a-z\-]+)?"
    r"|\d{1,5}\s+(?:rue|calle|via|avenida|chemin)\s+(?:(?:de|des|du|la|le|del|di)\s+)?"
    r"[a-z][\w'\-]+)"
)
# Romance-language street names need their capitals: "Rue des Lilas", "Calle Mayor 5".
_ADDRESS_ROMANCE = re.compile(
    r"(?<![\w])((?:\d{1,4},?\s+)?(?:Rue|Calle|Avenida|Chemin|Viale|Via)\s+"
    r"(?:(?:de|des|du|la|le|del|di|da)\s+)?[A-Z][\w'\-]+(?:\s+\d{1,4})?"
    r"(?:,\s*(?:\d{4,5}\s+)?[A-Z][a-z\-]+)?)"
)
_ADDRESS_CUE = re.compile(
    r"(?:lives?|living|moved|staying)\s+(?:at|on|in)\s*$|"
    r"(?:home|house|postal|mailing|private)\s+address(?:\s+is)?\s*[:\-–]?\s*$|"
    r"address(?:\s+is)?\s*[:\-–]\s*$|'s\s+address\s+is\s*$|\btheir\s+address\s+is\s*$|(?:deliver|send|ship|post)\b[^.!?]{0,40}?\b(?:to|at)\s*$|"
    r"(?:house|flat|place)\s+(?:is\s+)?(?:at|on)\s*$"
)
_BUSINESS = re.compile(
    r"\b(?:office|hq|headquarters|store|shop|branch|venue|conference|"
    r"restaurant|cafe|bar|hotel|museum|station|campus)\b"
)

_IMEI = re.compile(r"(?<![\d])(\d{2}[\s\-]?\d{6}[\s\-]?\d{6}[\s\-]?\d)(?![\d])")
_MAC = re.compile(r"(?<![\w:\-])((?:[0-9a-f]{2}([:\-]))(?:[0-9a-f]{2}\2){4}[0-9a-f]{2})(?![\w:\-])")
_DEVICE_CUE = re.compile(
    r"imei|device|mac\b|mac address|serial|udid|phone|laptop|macbook|"
    r"iphone|android|whitelist|allowlist|blocklist|stolen"
)
_SERIAL = re.compile(
    r"(?:serial\s*(?:number|no\.?|#)?|s/n|udid|device\s*id)\s*(?:is|:|=)?\s*"
    r"([a-z0-9][a-z0-9\-]{7,39})(?![\w])"
)

_OTP = re.compile(
    r"(?:\b(?:otp|2fa|mfa|one[\s-]?time|verification|security|login|sms|auth(?:entication)?|"
    r"confirmation|access|passcode|pin)\b(?:\s+code|\s+pin|\s+number)?"
    r"|\bcodes?\b(?=[^.!?\n]{0,30}?(?:text|sms|sent|got|received|expire)))"
    r"[^\d\n]{0,40}?(?<![\w\-.])(\d(?:[ \-]?\d){3,7})(?![\w\-.%:])"
)
_OTP_TRAIL = re.compile(
    r"\b(?:code|pin|otp|2fa)\b[^\d\n]{0,20}?(?<![\w\-.])(\d(?:[ \-]?\d){3,7})(?![\w\-.%:])"
)
_NOT_OTP = re.compile(
    r"(?:promo|discount|coupon|voucher|zip|postal|post|area|country|status|error|exit|"
    r"http|dress|source|qr|bar|morse|tax|sort|penal|civil|building|door|room)\s*codes?\b|"
    r"code\s+(?:review|red|of conduct|freeze|base)|u\.?\s?s\.?\s+codes?\b|\busc\b|"
    r"(?:penal|civil|tax|criminal|legal|health and safety)\s+code"
)

_SHOPPING = re.compile(r"checkout|\boff\b|discount|%|coupon|at the till|\bsave\b")
_HEALTH_ID = re.compile(
    r"(?:\bmrn|medical\s+record(?:\s+(?:number|no\.?|#))?|patient\s+(?:id|number|no\.?)|"
    r"(?:health\s+)?insurance\s+(?:id|number|no\.?|member\s+id)|member\s+id)"
    r"\s*(?:#|:|=|is)?\s*([a-z0-9][a-z0-9\-]{4,19})(?![\w])"
)
_SSN_CUE = re.compile(r"(?:ssn|social\s+security(?:\s+number)?|\bsocial\b)[^\d\n]{0,20}$")
_NINE = re.compile(r"(?<![\d\-])(\d{3}[\s.\-]?\d{2}[\s.\-]?\d{4})(?![\d\-])")

_ACCOUNT = re.compile(
    r"(?:account|acct|acc|a/c|checking|savings)\s*(?:number|no\.?|num|#)?\s*"
    r"(?:is|:|=|-)?\s*(\d[\d \-]{4,20}\d)(?![\d])"
)

_AT = r"(?:\[at\]|\(at\)|\{at\}|\s+at\s+)"
_DOT = r"(?:\s*(?:\[dot\]|\(dot\)|\{dot\})\s*|\s+dot\s+|\.)"
_TLDS = r"(?:com|org|net|edu|gov|io|me|co|uk|de|fr|es|it|nl|ch|at|be|eu|info|biz)"
_EMAIL_WORDS = re.compile(
    r"(?<![\w.])([a-z0-9][a-z0-9._%+\-]{1,40}(?:\s+dot\s+[a-z0-9]{1,20}){0,3})\s*" + _AT + r"\s*"
    r"((?:[a-z0-9\-]{2,40}" + _DOT + r"){1,3}" + _TLDS + r")(?![\w])"
)
_TLD = re.compile(r"(?:com|org|net|edu|gov|io|me|co|uk|de|fr|es|it|nl|ch|at|be|eu|info|biz)$")


# Gates: each rule runs only when its own cue words (or, for health, its terms) are there.
_DIGIT = re.compile(r"\d")
_MAC_HINT = re.compile(r"[0-9a-f]{2}([:\-])[0-9a-f]{2}\1[0-9a-f]{2}")
_GATE_WORDS: dict[str, list[str]] = {
    "dob": words("birth born dob d.o.b bday b-day b'day"),
    # Words that introduce an address, and words that end or start a street name.
    "address_cue": words("live living address deliver send ship house moved staying flat"),
    "street": [
        *words(
            "street road avenue lane drive court boulevard blvd terrace close crescent square "
            "parkway highway strasse straße str. weg gasse platz allee grove walk hill "
            "rise green park circle trail pike alley wharf quay"
        ),
        # Abbreviations as whole words (callers pad the text with a space at each end).
        *(
            f" {a}{end}"
            for a in ("st", "rd", "ave", "ct", "ln", "dr", "pl", "sq", "hwy", "cir", "apt")
            for end in (" ", ".", ",")
        ),
    ],
    "romance": [f" {w} " for w in words("rue calle via avenida chemin viale")],
    "device": [*words("imei device serial s/n udid"), "mac ", "mac:", "macbook"],
    "otp": [*words("code otp 2fa mfa one-time onetime verification passcode pin"), "one time"],
    "ssn": words("ssn social"),
    "account": words("account acct acc a/c checking savings"),
    "email": [*words("[at] (at) {at}"), " dot "],
    "health_id": words("mrn medical patient insurance member"),
    "health": HEALTH_STEMS,
}
# The view's own gate words ride along, so one pass tells both (see prose_view.may_rewrite).
GATE = TagGate({**_GATE_WORDS, "number": NUMBER_WORDS, "typo": list(TYPOS)})


def find(text: str, lower: str, tags: Collection[str] | None = None) -> list[Hit]:
    """Every described-personal-data hit in ``text`` (the view; ``lower`` is it lower-cased
    with the same offsets). ``tags`` are :data:`GATE`'s tags for it, when already known."""
    if tags is None:
        tags = GATE.tags(f" {lower} ")
    if not tags:
        return []
    hits: list[Hit] = []
    if "dob" in tags:
        hits.extend(_dates_of_birth(lower))
    if _DIGIT.search(lower):
        if "address_cue" in tags or "street" in tags or "romance" in tags:
            hits.extend(_addresses(text, lower, tags))
        if "device" in tags or _MAC_HINT.search(lower):
            hits.extend(_devices(lower))
        if "otp" in tags:
            hits.extend(_one_time_codes(lower))
        if "ssn" in tags:
            hits.extend(_ssns(lower))
        if "account" in tags:
            hits.extend(_accounts(lower))
    if "email" in tags:
        hits.extend(_worded_emails(lower))
    if "health" in tags:
        hits.extend(health(text, lower))
    if "health_id" in tags:
        for m in _HEALTH_ID.finditer(lower):
            if sum(c.isdigit() for c in m.group(1)) >= 5:
                hits.append(("health_data", m.start(1), m.end(1), 0.75))
    return hits


def _dates_of_birth(lower: str) -> list[Hit]:
    out = []
    for m in _DOB.finditer(lower):
        before = lower[max(0, m.start() - 30) : m.start()]
        if re.search(r"\b(?:my|i was|i'm|im)\s*$", before):
            continue  # the writer's own birthday
        out.append(("date_of_birth", m.start(1), m.end(1), 0.75))
    return out


# After a strong cue, a house number and capitalised words are enough: "lives at 2 Kingsway".
_ADDRESS_NAMED = re.compile(
    r"(?<![\w])(\d{1,5}[a-z]?\s+[A-Z][a-z]{2,}(?:\s+[A-Z][a-z]{2,}){0,2}"
    r"(?:\s*,?\s*(?:apt|apartment|unit|flat|suite)\.?\s*#?\w{1,5})?"
    r"(?:,\s*(?:\d{4,5}\s+)?[A-Z][a-z\-]+)?)"
)


def _addresses(text: str, lower: str, tags: Collection[str]) -> list[Hit]:
    out = []
    matches: list[re.Match[str]] = []
    if "street" in tags or "romance" in tags:
        matches.extend(_ADDRESS.finditer(lower))
    if "romance" in tags:
        matches.extend(_ADDRESS_ROMANCE.finditer(text))
    if "address_cue" in tags:
        matches.extend(_ADDRESS_NAMED.finditer(text))
    for m in matches:
        before = lower[max(0, m.start() - 60) : m.start()]
        sentence = before + lower[m.end() : m.end() + 40]
        cue = _ADDRESS_CUE.search(before)
        if _BUSINESS.search(sentence) and not re.search(r"\bhome\b|house|lives", sentence):
            continue
        if cue is None:
            # Without "lives at" or "home address", only a numbered street said to be
            # someone's: "the customer at 77 Birchwood Road complained".
            if m.re is not _ADDRESS or not m.group(1)[:1].isdigit():
                continue
            if not owned(lower, m.start(), m.end()):
                continue
            if not re.search(r"\d+[a-z]?\s+[A-Z]", text[m.start(1) : m.end(1)]):
                continue  # "100 times the ave": a street name is written with capitals
            out.append(("location", m.start(1), m.end(1), 0.6))
            continue
        score = 0.75
        if cue and not owned(lower, m.start(), m.end()) and re.search(r"\bmy\b", before[-30:]):
            score = 0.45
        out.append(("location", m.start(1), m.end(1), score))
    return out


def _devices(lower: str) -> list[Hit]:
    out = []
    for m in _IMEI.finditer(lower):
        digits = re.sub(r"\D", "", m.group(1))
        if len(digits) == 15 and luhn.is_valid(digits):
            before = lower[max(0, m.start() - 40) : m.start()]
            score = 0.75 if _DEVICE_CUE.search(before) else 0.4
            out.append(("device_id", m.start(1), m.end(1), score))
    for m in _MAC.finditer(lower):
        if len(set(m.group(1).replace(m.group(2), ""))) <= 2:
            continue
        before = lower[max(0, m.start() - 40) : m.start()]
        score = 0.7 if _DEVICE_CUE.search(before) else 0.45
        out.append(("device_id", m.start(1), m.end(1), score))
    for m in _SERIAL.finditer(lower):
        value = m.group(1)
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            out.append(("device_id", m.start(1), m.end(1), 0.65))
    return out


def _one_time_codes(lower: str) -> list[Hit]:
    out = []
    for pattern in (_OTP, _OTP_TRAIL):
        for m in pattern.finditer(lower):
            if _NOT_OTP.search(lower[max(0, m.start() - 12) : m.end(1)]):
                continue
            digits = re.sub(r"\D", "", m.group(1))
            if not 4 <= len(digits) <= 8 or re.fullmatch(r"(?:19|20)\d\d", digits):
                continue
            if quiet(lower, m.start(1)) or _SHOPPING.search(lower[m.end(1) : m.end(1) + 30]):
                continue
            out.append(("one_time_code", m.start(1), m.end(1), 0.7))
    return out


def _ssns(lower: str) -> list[Hit]:
    out = []
    for m in _NINE.finditer(lower):
        if not _SSN_CUE.search(lower[max(0, m.start() - 40) : m.start()]):
            continue
        digits = re.sub(r"\D", "", m.group(1))
        if us_ssn.is_valid(digits):
            out.append(("national_id", m.start(1), m.end(1), 0.85))
    return out


def _accounts(lower: str) -> list[Hit]:
    out = []
    for m in _ACCOUNT.finditer(lower):
        digits = re.sub(r"\D", "", m.group(1))
        if 6 <= len(digits) <= 18 and len(set(digits)) > 2:
            out.append(("bank_account", m.start(1), m.end(1), 0.7))
    return out


def _worded_emails(lower: str) -> list[Hit]:
    out = []
    for m in _EMAIL_WORDS.finditer(lower):
        domain = m.group(2)
        worded = re.search(r"\[at\]|\(at\)|\{at\}|dot", lower[m.start() : m.end()])
        if not _TLD.search(domain) or not (worded or "." in domain):
            continue
        if re.search(r"\s+at\s+", lower[m.start() : m.end()]) and not worded:
            continue  # "meet at acme.com" is not an address
        if m.group(1) in ("me", "us", "him", "her", "them", "you", "it", "look", "here"):
            continue
        out.append(("email", m.start(), m.end(), 0.75))
    return out
