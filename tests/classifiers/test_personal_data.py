"""Personal data: must-flag and must-not-flag rows, exact kinds and spans."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers import personal_data
from classifiers.base import DetectorConfig, PostText
from classifiers.training.leak_eval import (
    detector_spans,
    false_alarms,
    load_pii,
    load_tweets,
    score_spans,
)

DETECTOR = personal_data.build(DetectorConfig())


def flagged(text: str, own: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(kind, matched text) of every finding at or above the digest threshold."""
    return [
        (f.kind, text[f.start : f.end])
        for f in DETECTOR.detect(PostText(text, own_contacts=own))
        if f.score >= 0.5
    ]


MUST_FLAG = [
    ("Customer wants a callback, call her at 0490 75 40 81", [("phone", "0490 75 40 81")]),
    ("They're not answering at 780-999-2181", [("phone", "780-999-2181")]),
    ("Desk: +41 (0)96 471 07 95", [("phone", "+41 (0)96 471 07 95")]),
    ("his mail is jane.roe@customer-corp.de, ping him", [("email", "jane.roe@customer-corp.de")]),
    ("What is the limit for card 4454794511390933?", [("credit_card", "4454794511390933")]),
    ("card 4454 7945 1139 0933 declined again", [("credit_card", "4454 7945 1139 0933")]),
    ("My IBAN is GB59IFUE40226315499137", [("iban", "GB59IFUE40226315499137")]),
    ("IBAN DE89 3704 0044 0532 0130 00 for the refund", [("iban", "DE89 3704 0044 0532 0130 00")]),
    ("Here's his SSN: 460-89-9847", [("national_id", "460-89-9847")]),
    ("My driver's license number is F162823540116", [("national_id", "F162823540116")]),
    ("keep getting address 41.173.96.26 blocked", [("ip_address", "41.173.96.26")]),
]

MUST_NOT_FLAG = [
    "I love my new phone",
    "Our new phone launched today, go get it at the store!",
    "Call 555-0123 if you want to talk to the Ghostbusters",  # fiction: 555 numbers
    "In the movie he calls (212) 555-7890 lol",
    "Email me at jane@example.com for the template",  # documentation domain
    "Send questions to support@acme.io",  # a public role mailbox
    "Test with card 4111 1111 1111 1111 in the sandbox",  # the well-known test card
    "Scored 4454794511390934 points, new record",  # fails the Luhn check
    "Meeting moved to 2024-05-13 14:00, room 12",
    "We grew 17% in 2019-2020 and hired 250 people",
    "The restaurant is at 17151 2450 Crown St",  # a street address, not a phone
    "Update to version 1.2.3.4 fixes it",
    "The router is at 192.168.1.1",  # private range: identifies no one
    "Case number 3837252 was closed",
]


@pytest.mark.parametrize(("text", "expected"), MUST_FLAG)
def test_flags_personal_data(text: str, expected: list[tuple[str, str]]) -> None:
    assert flagged(text) == expected


@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_does_not_flag_ordinary_text(text: str) -> None:
    assert flagged(text) == []


def test_own_contact_details_are_not_flagged() -> None:
    own = frozenset({"Jane.Roe@Acme.com", "+44 7700 900123"})
    text = "Reach me at jane.roe@acme.com or 07700 900123, or my colleague at 780-999-2181"
    assert flagged(text, own) == [("phone", "780-999-2181")]


def test_finding_fields_for_a_card() -> None:
    text = "card 4454794511390933"
    [f] = DETECTOR.detect(PostText(text))
    assert (f.category, f.rule, f.kind, f.detector) == (
        "personal_data",
        "4",
        "credit_card",
        "personal_data",
    )
    assert (f.start, f.end) == (5, 21)
    assert f.score >= 0.8
    assert "4454794511390933" not in f.masked and f.masked.startswith("44")
    assert "rule 4" in f.explanation


def test_ssn_beats_phone_on_overlap() -> None:
    assert flagged("SSN 514-69-0360") == [("national_id", "514-69-0360")]


@pytest.mark.shared_data
def test_span_quality_on_presidio_synth(shared_data: Path) -> None:
    counts = score_spans(load_pii(shared_data), detector_spans(DETECTOR))
    # Floors a little below what benchmarks/leak_quality.py measures (see the model card).
    floors = {
        "email": 0.99,
        "phone": 0.9,
        "credit_card": 0.97,
        "iban": 0.98,
        "national_id": 0.95,
        "ip_address": 0.9,
    }
    for kind, floor in floors.items():
        assert counts[kind].f1 >= floor, (kind, counts[kind].as_dict())


@pytest.mark.shared_data
def test_false_alarms_on_ordinary_tweets(shared_data: Path) -> None:
    flagged_count, total = false_alarms(DETECTOR, load_tweets(shared_data))
    assert flagged_count / total <= 0.002


def test_decimal_digits_counts_what_backslash_d_matches() -> None:
    """Every code point: the digit gates count exactly the characters ``\\d`` matches."""
    import re

    from classifiers.personal_formats import decimal_digits

    every = "".join(chr(c) for c in range(0x30000) if not 0xD800 <= c <= 0xDFFF)
    assert decimal_digits(every) == len(re.findall(r"\d", every))
    assert decimal_digits("call 555-0100 at 9") == 8
    assert decimal_digits("١٢٣ and ３４") == 5  # Arabic-Indic and full-width digits


def test_digit_gates_drop_nothing() -> None:
    """The digit-count gates in ``digit_kinds`` never drop a candidate the kinds would give
    ungated, on texts near each kind's fewest digits."""
    import random

    from classifiers import personal_formats as f
    from classifiers.personal_data import digit_kinds
    from classifiers.personal_ip import ipv4

    rng = random.Random(5)
    cues = ["ssn ", "card ", "account no ", "id number ", "call ", "ip ", "dni ", "passport: "]
    pieces = ["1", "23", "456", "-", " ", ".", "(", ")", "+", "x", "A", "ab", "Z9", "٣", "７"]
    # whole values of each kind; cutting a character off makes a near miss
    # (and values with exactly the fewest digits of their kind)
    values = ["4539 1488 0343 6467", "81.2.69.160", "12345678Z", "536-90-4399", "+44 20 7946 0958",
              "DE89 3704 0044 0532 0130 00", "(212) 736-4100", "RSSMRA85T10A562S",
              "453914880340", "736 4100", "12345 6", "12345", "8.8.8.8"]  # fmt: skip
    regions = ("US", "GB", "DE", "FR")
    kinds: set[str] = set()
    for _ in range(4000):
        parts = [rng.choice(pieces) for _ in range(rng.randint(1, 12))]
        value = rng.choice(values)
        cut = rng.randrange(len(value) + 1)
        drop = 1 if rng.random() < 0.5 else 0
        parts.insert(rng.randrange(len(parts) + 1), value[:cut] + value[cut + drop :])
        text = rng.choice(cues) + "".join(parts)
        ungated = [
            *f.national_ids(text, 10**6), *f.cards(text), *f.bank_accounts(text),
            *ipv4(text), *f.phones(text, regions), *f.ibans(text),
        ]  # fmt: skip
        ibans_ungated = f.ibans(text) if not f.IBAN_HINT.search(text) else []
        assert ibans_ungated == []  # an IBAN needs what the hint looks for
        assert sorted(map(repr, digit_kinds(text, regions))) == sorted(map(repr, ungated)), text
        kinds.update(c.kind for c in ungated)
    # the texts reach every kind, so a gate set too high would show
    assert kinds >= {"national_id", "credit_card", "bank_account", "ip_address", "phone", "iban"}


def test_email_precheck_never_hides_an_address() -> None:
    import random

    from classifiers.personal_formats import _EMAIL, may_hold_email

    rng = random.Random(9)
    pieces = ["@", "@", "a", "Z", "9", ".", " ", "-", "_", "%", "+", "x.com", "é", "\n", "co"]
    matched = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        if _EMAIL.search(text):
            matched += 1
            assert may_hold_email(text), text
    assert matched > 200  # the texts do hold addresses
    assert not may_hold_email("@alice and @bob: thanks!")
    assert may_hold_email("write to a@b.example")
