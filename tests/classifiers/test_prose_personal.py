"""Personal data and secrets written in prose: phrasings that are not in datasets/leak_prose.

These sentences were written for this test, apart from the generated set, so they check
that the rules cover the kinds of text rather than the set's templates.
"""

from __future__ import annotations

import pytest

from classifiers import credentials, personal_data
from classifiers.base import DetectorConfig, PostText

DETECTORS = (personal_data.build(DetectorConfig()), credentials.build(DetectorConfig()))


def flagged(text: str) -> list[tuple[str, str]]:
    return [
        (f.kind, text[f.start : f.end])
        for d in DETECTORS
        for f in d.detect(PostText(text))
        if f.score >= 0.5
    ]


MUST_FLAG = [
    (
        "You can reach the customer on four one five, three eight two, nine one zero four",
        ("phone", "four one five, three eight two, nine one zero four"),
    ),
    (
        "her cell: four 1 five 3 8 2 nine one zero four",
        ("phone", "four 1 five 3 8 2 nine one zero four"),
    ),
    ("Client DOB: 04/11/1979, name on the policy is R. Patel", ("date_of_birth", "04/11/1979")),
    ("our guest in 12B was born 2 Feb 1961 and wants a discount", ("date_of_birth", "2 Feb 1961")),
    (
        "the customer at 77 Birchwood Road, Leeds complained twice",
        ("location", "77 Birchwood Road, Leeds"),
    ),
    ("Ms. Duarte from accounts is on chemo so cover her calls", ("health_data", "chemo")),
    ("a patient of ours takes lithium, flag it on the booking", ("health_data", "lithium")),
    (
        "the laptop with MAC 3c:22:fb:91:0e:7a belongs to Jen from HR",
        ("device_id", "3c:22:fb:91:0e:7a"),
    ),
    ("got the sms code 58 21 90 from the client, logging in now", ("one_time_code", "58 21 90")),
    ("customer's acount number: 0042 8813 5521", ("bank_account", "0042 8813 5521")),
    ("reply to r.patel at hotmail dot com", ("email", "r.patel at hotmail dot com")),
    ("the login for the test tenant is admin / Hunter2!x", ("password_assignment", "Hunter2!x")),
    ("pasword for the printer: Lk8#pq2Z", ("password_assignment", "Lk8#pq2Z")),
    (
        "just use my cookie PHPSESSID=9k2jd8s7fh3lq0zm1xv5 to see it",
        ("session_token", "PHPSESSID=9k2jd8s7fh3lq0zm1xv5"),
    ),
]

MUST_FLAG += [
    ("customer email is tommy dot b at gmail dot com", ("email", "tommy dot b at gmail dot com")),
    ("my coworker Jess is pregnant but hasn't told anyone", ("health_data", "pregnant")),
    ("the client is recovering from a heart attack, be nice", ("health_data", "heart attack")),
    (
        "bob's mobile is oh seven seven double oh nine one two three four five",
        ("phone", "oh seven seven double oh nine one two three four five"),
    ),
    (
        "Forwarding Sam's new home address - 18 Chestnut Grove, Bath BA2 3LP",
        ("location", "18 Chestnut Grove, Bath BA2 3LP"),
    ),
    ("verification code is 9 1 4 4 2 7 dont share", ("one_time_code", "9 1 4 4 2 7")),
    (
        "ok the wifi is AcmeGuest and the pass is sunflower-42",
        ("password_assignment", "sunflower-42"),
    ),
    ("my password is literally Password123!", ("password_assignment", "Password123!")),
    ("dbpass: Xk9#mQ2$vL", ("password_assignment", "Xk9#mQ2$vL")),
]

MUST_FLAG += [
    (
        "my password is the dog's name plus the year",
        ("password_hint", "the dog's name plus the year"),
    ),
    ("lol my pin is my birth year and then 00", ("password_hint", "my birth year and then 00")),
    (
        "my pasword is the dog's name plus the year",
        ("password_hint", "the dog's name plus the year"),
    ),
    ("the diabetic customer in room 12 needs a snack", ("health_data", "diabetic")),
    ("BSB 062-000 acc 1234 5678", ("bank_account", "1234 5678")),
]

MUST_FLAG += [
    ("cust's addy is 9 Rosewood Ct, Tulsa", ("location", "9 Rosewood Ct, Tulsa")),
    ("bday 07/22/1988 for the loyalty form", ("date_of_birth", "07/22/1988")),
    ("code 774 219 use it quick", ("one_time_code", "774 219")),
    ("his DL # is D1234-56789-01234 btw", ("national_id", "D1234-56789-01234")),
    ("the patient's MRN is 00482913, chart says asthma", ("health_data", "00482913")),
]

MUST_NOT_FLAG = [
    "my bday is 07/22/1988 lol",
    "error code 5003 2 again",
    "area code 415 and then 382",
    "password is the name of the project, ask Dana",
    "I forgot my password and the dog's name is Rex",
    "the spinning class is at 6, pin code on the door is broken",
    "use code 1234 at checkout for 20% off",
    "please pass along whatever you are smoking!!!",
    "Senate Set to Pass Bipartisan Bill to Combat Opioids",
    "my mom has diabetes and she's fine",
    "Order 112-4456677-889 shipped",
    "he scored 28 points and 11 rebounds",
    "i have asthma lol",
    "we won 4-2 and then 3-1",
    "final was 102 - 99, what a night",
    "the part 4417 220 31 is on backorder",
    "the new Pixel 9 Pro costs 999",
    "Promo code 482913 gives 10% off",
    "zip code 94107",
    "code review at 10:30",
    "paste your session token here",
    "our office at 1 Market Street is closed Monday",
    "cancer awareness month starts today, donate if you can",
    "my birthday is on March 3 1990 and I want cake",
    "He has no place in society",
    "the new diabetes app is out",
]


@pytest.mark.parametrize(("text", "expected"), MUST_FLAG)
def test_prose_leaks_are_flagged_on_the_writers_characters(
    text: str, expected: tuple[str, str]
) -> None:
    assert expected in flagged(text)


@pytest.mark.parametrize("text", MUST_NOT_FLAG)
def test_look_alikes_in_prose_stay_quiet(text: str) -> None:
    assert flagged(text) == []
