"""Generate the labelled leak-prose set: chat-style sentences with personal data or credentials.

Run from the repository root::

    python datasets/leak_prose/generate.py            # writes datasets/leak_prose/data/
    python datasets/leak_prose/generate.py --check    # exits 1 if the files differ

Every sentence comes from a template written for this set (see SOURCE.md) with slots filled
by value generators: phone numbers spaced, dashed, dotted or spelled out in words, cards and
IBANs with valid checksums in odd groupings, dates of birth, home addresses, health details
of customers or colleagues, bank details, device ids, one-time codes, passwords and tokens
pasted into a sentence; and hard negatives that look like them (sports scores, product and
order numbers, placeholders, documentation keys, hashes, UUIDs, commit ids).

The split is by template, fixed before any detector was run on the data: template ``i`` of
each group goes to train, dev or test by ``SPLIT_OF[i % 5]``, so no test sentence shares a
template with a train sentence. Values are drawn from a seeded generator: the output is the
same on every run. No file of ``../shared`` is read or copied.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "data"
SEED = 16
PER_TEMPLATE = 10
SPLIT_OF = ("train", "train", "train", "dev", "test")

PD = "personal_data"
CR = "credentials"

# -- value generators ----------------------------------------------------------------------
# Each returns (text, kind). ``r`` is the seeded random.Random.
Value = Callable[[random.Random], tuple[str, str]]

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _spell(digits: str, r: random.Random) -> str:
    words = [("oh" if d == "0" and r.random() < 0.3 else WORDS[int(d)]) for d in digits]
    return " ".join(words)


def _digits(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.digits) for _ in range(n))


def _luhn_complete(partial: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return partial + str((10 - total % 10) % 10)


def _group(digits: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(digits[i : i + size])
        i += size
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(p for p in out if p)


AREAS = ("415", "212", "646", "312", "617", "206", "512", "303", "404", "718", "213", "702")


def phone(r: random.Random) -> tuple[str, str]:
    area = r.choice(AREAS)
    exchange = str(r.randint(201, 989))
    while exchange == "555":
        exchange = str(r.randint(201, 989))
    line = _digits(r, 4)
    d = area + exchange + line
    style = r.randrange(9)
    if style == 0:
        text = f"{area}-{exchange}-{line}"
    elif style == 1:
        text = f"({area}) {exchange} {line}"
    elif style == 2:
        text = f"{area}.{exchange}.{line}"
    elif style == 3:
        text = f"{d[:3]} {d[3:5]} {d[5:8]} {d[8:]}"  # irregular groups
    elif style == 4:
        text = f"{_spell(area, r)}, {_spell(exchange, r)}, {_spell(line, r)}"
    elif style == 5:
        text = f"{_spell(area, r)}, {exchange} {line}"  # mixed words and digits
    elif style == 6:
        text = f"+1 {area} {exchange} {line}"
    elif style == 7:
        text = f"{area} {exchange} - {line}"
    else:
        text = f"{area}{exchange}{line}"
    return text, "phone"


def uk_phone(r: random.Random) -> tuple[str, str]:
    d = "07" + r.choice(("4", "5", "8", "9")) + _digits(r, 8)
    style = r.randrange(3)
    if style == 0:
        return f"{d[:5]} {d[5:]}", "phone"
    if style == 1:
        return f"+44 {d[1:5]} {d[5:8]} {d[8:]}", "phone"
    return _spell(d[:5], r) + " " + d[5:], "phone"


NAMES = ("dana", "li.wei", "m.okafor", "sofia.r", "jpetrov", "amara88", "t.nguyen", "kbrandt")
DOMAINS = ("gmail.com", "outlook.com", "yahoo.co.uk", "proton.me", "web.de", "icloud.com")


def email(r: random.Random) -> tuple[str, str]:
    user, dom = r.choice(NAMES), r.choice(DOMAINS)
    style = r.randrange(4)
    if style == 0:
        return f"{user}@{dom}", "email"
    if style == 1:
        return f"{user} at {dom.replace('.', ' dot ')}", "email"
    if style == 2:
        return f"{user}[at]{dom.replace('.', '[dot]')}", "email"
    return f"{user} (at) {dom}", "email"


def card(r: random.Random) -> tuple[str, str]:
    prefix = r.choice(("4", "51", "53", "55", "2221", "4485", "4929"))
    d = _luhn_complete(prefix + _digits(r, 15 - len(prefix)))
    style = r.randrange(5)
    if style == 0:
        return _group(d, [4, 4, 4, 4], " "), "credit_card"
    if style == 1:
        return _group(d, [4, 4, 4, 4], "-"), "credit_card"
    if style == 2:
        return d, "credit_card"
    if style == 3:
        return _group(d, [5, 3, 4, 4], " "), "credit_card"  # irregular
    return _group(d, [4, 4, 4, 4], " . "), "credit_card"


def iban(r: random.Random) -> tuple[str, str]:
    from stdnum import iban as std_iban

    country, bban = r.choice(
        (
            ("DE", lambda: _digits(r, 18)),
            ("GB", lambda: r.choice(("NWBK", "BARC", "LOYD", "HBUK")) + _digits(r, 14)),
            ("FR", lambda: _digits(r, 10) + "".join(r.choice("ABCDEFGH") for _ in range(11))
             + _digits(r, 2)),
            ("NL", lambda: r.choice(("ABNA", "INGB", "RABO")) + _digits(r, 10)),
        )
    )
    body = bban()
    check = std_iban.calc_check_digits(country + "00" + body)
    value = country + check + body
    style = r.randrange(3)
    if style == 0:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4)), "iban"
    if style == 1:
        return value, "iban"
    return value[:4] + " " + value[4:12] + " " + value[12:], "iban"


def bank_account(r: random.Random) -> tuple[str, str]:
    style = r.randrange(4)
    acct = _digits(r, r.choice((8, 10, 12)))
    if style == 0:
        return f"{acct}", "bank_account"
    if style == 1:
        return _group(acct, [4, 4, 4], " "), "bank_account"
    if style == 2:
        return f"{acct[:2]}-{acct[2:]}", "bank_account"
    return _spell(acct[:4], r) + " " + acct[4:], "bank_account"


def ssn(r: random.Random) -> tuple[str, str]:
    area = r.randint(100, 665)
    d = f"{area:03d}{r.randint(10, 99):02d}{r.randint(1000, 9999):04d}"
    style = r.randrange(4)
    if style == 0:
        return f"{d[:3]}-{d[3:5]}-{d[5:]}", "national_id"
    if style == 1:
        return f"{d[:3]} {d[3:5]} {d[5:]}", "national_id"
    if style == 2:
        return _spell(d, r), "national_id"
    return f"{d[:3]}.{d[3:5]}.{d[5:]}", "national_id"


def passport(r: random.Random) -> tuple[str, str]:
    return r.choice(("", "X", "C", "P")) + _digits(r, 9 - r.randrange(2)), "national_id"


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def dob(r: random.Random) -> tuple[str, str]:
    y, m, d = r.randint(1940, 2005), r.randint(1, 12), r.randint(1, 28)
    style = r.randrange(6)
    if style == 0:
        return f"{d:02d}/{m:02d}/{y}", "date_of_birth"
    if style == 1:
        return f"{MONTHS[m - 1]} {d}, {y}", "date_of_birth"
    if style == 2:
        return f"{d} {MONTHS[m - 1][:3]} {y}", "date_of_birth"
    if style == 3:
        return f"{y}-{m:02d}-{d:02d}", "date_of_birth"
    if style == 4:
        return f"{m}.{d}.{str(y)[2:]}", "date_of_birth"
    return f"the {d}th of {MONTHS[m - 1]} {y}", "date_of_birth"


STREETS = ("Larkspur Lane", "Oak Street", "Maple Avenue", "Rue des Lilas", "Hauptstrasse",
           "Elm Road", "Kingsway", "Calle Mayor", "Birch Court", "Harbour View Drive")
TOWNS = ("Springfield", "Leeds", "75011 Paris", "Austin, TX 78704", "Bristol BS3 4QT",
         "10115 Berlin", "Denver", "Madrid")


def address(r: random.Random) -> tuple[str, str]:
    n = r.randint(2, 2400)
    street, town = r.choice(STREETS), r.choice(TOWNS)
    style = r.randrange(4)
    if style == 0:
        return f"{n} {street}, {town}", "location"
    if style == 1:
        return f"{n} {street} apt {r.randint(1, 40)}{r.choice('ABCD')}", "location"
    if style == 2:
        return f"{street} {n}, {town}", "location"
    return f"{n} {street.lower()}", "location"


CONDITIONS = ("diabetes", "type 1 diabetes", "epilepsy", "HIV", "bipolar disorder",
              "breast cancer", "depression", "Crohn's disease", "multiple sclerosis",
              "an eating disorder", "early onset dementia", "hepatitis C", "schizophrenia")
MEDS = ("metformin", "insulin", "sertraline", "lithium", "methotrexate", "Humira",
        "Adderall", "Ozempic", "prednisone", "chemo", "antiretrovirals", "Xanax")


def condition(r: random.Random) -> tuple[str, str]:
    return r.choice(CONDITIONS), "health_data"


def medication(r: random.Random) -> tuple[str, str]:
    return r.choice(MEDS), "health_data"


def imei(r: random.Random) -> tuple[str, str]:
    d = _luhn_complete(r.choice(("35", "86", "01", "99")) + _digits(r, 12))
    return (d if r.random() < 0.6 else f"{d[:2]}-{d[2:8]}-{d[8:14]}-{d[14]}"), "device_id"


def mac(r: random.Random) -> tuple[str, str]:
    parts = [f"{r.randrange(256):02x}" for _ in range(6)]
    sep = r.choice((":", "-"))
    value = sep.join(parts)
    return (value.upper() if r.random() < 0.4 else value), "device_id"


def serial(r: random.Random) -> tuple[str, str]:
    chars = string.ascii_uppercase + string.digits
    return "".join(r.choice(chars) for _ in range(12)), "device_id"


def otp(r: random.Random) -> tuple[str, str]:
    d = _digits(r, r.choice((6, 6, 6, 4, 8)))
    style = r.randrange(4)
    if style == 0:
        return d, "one_time_code"
    if style == 1:
        return f"{d[:3]} {d[3:]}", "one_time_code"
    if style == 2:
        return _spell(d, r), "one_time_code"
    return f"{d[:3]}-{d[3:]}", "one_time_code"


def password(r: random.Random) -> tuple[str, str]:
    word = r.choice(("Summer", "Blue", "Tiger", "Winter", "Falcon", "Pancake", "Orbit", "Maple"))
    tail = r.choice(("2024!", "#99", "$7x", "_42", "!23", "2025", "@home1", "&Q9"))
    style = r.randrange(3)
    if style == 0:
        return word + tail, "password"
    if style == 1:
        chars = string.ascii_letters + string.digits + "!#%&"
        return "".join(r.choice(chars) for _ in range(12)), "password"
    return word.lower() + r.choice(string.digits) + word[:2].upper() + tail, "password"


B62 = string.ascii_letters + string.digits


def _rand(r: random.Random, chars: str, n: int) -> str:
    """Random characters from ``chars``, mixing letters and digits when ``chars`` has both."""
    need_digit = any(c.isdigit() for c in chars)
    need_alpha = any(c.isalpha() for c in chars)
    while True:
        s = "".join(r.choice(chars) for _ in range(n))
        if (not need_digit or any(c.isdigit() for c in s)) and (
            not need_alpha or any(c.isalpha() for c in s)
        ):
            return s


def _crc_token(r: random.Random, prefix: str) -> str:
    body = _rand(r, B62, 30)
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    n, check = zlib.crc32(body.encode()), ""
    while n:
        n, rem = divmod(n, 62)
        check = alphabet[rem] + check
    return prefix + body + check.rjust(6, "0")


HEX = "0123456789abcdef"


def token(r: random.Random) -> tuple[str, str]:
    """A provider token in its documented shape (random values, none real)."""
    up = string.ascii_uppercase + string.digits
    makers = (
        lambda: _crc_token(r, "ghp_"),
        lambda: "glpat-" + _rand(r, B62, 20),
        lambda: f"xoxb-{_rand(r, string.digits, 11)}-{_rand(r, string.digits, 12)}-"
        + _rand(r, B62, 24),
        lambda: "sk_live_" + _rand(r, B62, 24),
        lambda: "AKIA" + _rand(r, up, 16),
        lambda: "AIza" + _rand(r, B62 + "-_", 35),
        lambda: "sk-proj-" + _rand(r, B62 + "-_", 64),
        lambda: f"{r.randint(10**8, 10**9)}:AA" + _rand(r, B62 + "-_", 33),
        lambda: "SG." + _rand(r, B62, 22) + "." + _rand(r, B62, 43),
        lambda: "hf_" + _rand(r, string.ascii_letters, 34),
        lambda: _crc_token(r, "npm_"),  # npm tokens carry the same CRC32 as GitHub's
        lambda: "dop_v1_" + _rand(r, HEX, 64),
        lambda: "shpat_" + _rand(r, HEX, 32),
        lambda: "hvs." + _rand(r, B62, 90),
        lambda: "key-" + _rand(r, HEX, 32),
    )
    return r.choice(makers)(), "api_token"


def session(r: random.Random) -> tuple[str, str]:
    style = r.randrange(4)
    if style == 0:
        return "sessionid=" + _rand(r, string.ascii_lowercase + string.digits, 32), "session_token"
    if style == 1:
        return "PHPSESSID=" + _rand(r, string.ascii_lowercase + string.digits, 26), "session_token"
    if style == 2:
        return _rand(r, B62, 40), "session_token"
    return "connect.sid=s%3A" + _rand(r, B62, 32) + "." + _rand(r, B62, 43), "session_token"


def conn(r: random.Random) -> tuple[str, str]:
    user = r.choice(("app", "admin", "svc_etl", "reporting"))
    pw = password(r)[0].replace("@", "").replace("/", "").replace(":", "")
    host = r.choice(("db.acme.internal", "10.4.2.17", "prod-pg.corp.local", "mongo1.acme.io"))
    scheme = r.choice(("postgresql", "mysql", "mongodb", "redis"))
    return f"{scheme}://{user}:{pw}@{host}/main", "url_password"


# -- look-alike values for the negatives (not labelled) -----------------------------------
def score(r: random.Random) -> tuple[str, str]:
    a, b = r.randint(0, 130), r.randint(0, 130)
    return r.choice((f"{a}-{b}", f"{a} - {b}", f"{a}:{b}", f"{a} to {b}")), ""


def product(r: random.Random) -> tuple[str, str]:
    up = string.ascii_uppercase
    return r.choice((
        f"{r.choice(up)}{r.choice(up)}-{_digits(r, 4)}{r.choice(up)}",
        f"{_digits(r, 4)}-{_digits(r, 3)}-{_digits(r, 2)}",
        f"#{_digits(r, 6)}",
        f"{_digits(r, 12)}",
        f"{r.choice(up)}{_digits(r, 2)}-{_digits(r, 5)}-{_digits(r, 2)}",
    )), ""


def digest(r: random.Random) -> tuple[str, str]:
    n = r.choice((7, 12, 32, 40, 64))
    h = "".join(r.choice(HEX) for _ in range(n))
    if r.random() < 0.3:
        h = "".join(r.choice(HEX) for _ in range(32))
        h = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return h, ""


def placeholder(r: random.Random) -> tuple[str, str]:
    return r.choice((
        "<your-api-key>", "YOUR_TOKEN_HERE", "xxxxxxxxxxxxxxxx", "sk_test_xxxxxxxxxxxx",
        "${API_KEY}", "AKIAIOSFODNN7EXAMPLE", "changeme", "********", "{{ secret }}",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "<password>",
    )), ""


def count(r: random.Random) -> tuple[str, str]:
    return r.choice((f"{r.randint(1000, 99999):,}", str(r.randint(1990, 2030)),
                     f"{r.randint(1, 99)}.{r.randint(0, 9)}%", f"${r.randint(5, 9999)}")), ""


# -- templates -----------------------------------------------------------------------------
# A template is a sentence with one or more {slot}s. ``{who}`` and ``{name}`` are context,
# never labelled; a slot named after a generator is labelled with that generator's kind.
WHO = ("a customer", "the client", "our patient", "my colleague Dana", "Mr. Alvarez",
       "one of our users", "the lady from ticket 4411", "a guest", "my coworker", "the new hire")
NAME = ("Priya", "Tom", "Mrs. Keller", "Jonas", "Aisha", "Mr. Brooks", "Lena", "Carlos")

GENERATORS: dict[str, Value] = {
    "phone": phone, "uk_phone": uk_phone, "email": email, "card": card, "iban": iban,
    "bank_account": bank_account, "ssn": ssn, "passport": passport, "dob": dob,
    "address": address, "condition": condition, "medication": medication, "imei": imei,
    "mac": mac, "serial": serial, "otp": otp, "password": password, "token": token,
    "session": session, "conn": conn, "score": score, "product": product,
    "digest": digest, "placeholder": placeholder, "count": count,
}
CATEGORY_OF_KIND = {
    "password": CR, "api_token": CR, "session_token": CR, "url_password": CR,
}

# Groups of templates; each group's templates are dealt to train/dev/test in turn.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "phone": (
        "customer wants a call back, her number is {phone}",
        "can someone ring {name} on {phone} about the refund",
        "{who} left a voicemail, call back at {phone} before 5",
        "his cell is {phone} if the courier gets lost",
        "ugh {who} gave me their mobile {phone} and asked for a discount lol",
        "new contact for the Hendricks account: {phone}",
        "if anyone from billing sees this pls text {name} at {phone}",
        "the client's phone no. {phone} keeps going to voicemail",
        "reach {who} on {uk_phone}, she's waiting",
        "{name}'s number is {uk_phone} btw",
    ),
    "email": (
        "send the invoice to {email}, that's the customer's private mail",
        "{who} wants the contract at {email} not the work address",
        "her personal email is {email} if anyone needs it",
        "forward the complaint to {email} pls",
        "{name} said to reply to {email}",
    ),
    "card": (
        "{who} read me their card number over the phone: {card}",
        "the card on file is {card} exp 09/27",
        "card {card} got declined three times today",
        "why does {name}'s visa {card} keep bouncing",
        "refund went to card number {card}, ugh",
    ),
    "iban": (
        "pay {name} back on IBAN {iban}",
        "{who} sent their iban {iban} for the deposit",
        "the refund goes to {iban} according to the ticket",
        "bank details for the supplier: {iban}",
        "wire it to {iban} and cc me",
    ),
    "bank_account": (
        "customer's acount no is {bank_account}, sort code 20-45-77",
        "{who} gave me account number {bank_account} for the transfer",
        "routing 021000021 and acct {bank_account}, please process",
        "direct deposit for {name} goes into account # {bank_account}",
        "their bank account: {bank_account} (checking)",
    ),
    "national_id": (
        "{who}'s social security number is {ssn}, need it for the form",
        "ssn {ssn} came back flagged on the credit check",
        "{name} read out her social: {ssn}",
        "passport number {passport} for the visa letter of {name}",
        "{who} emailed a scan, passport no. {passport}",
    ),
    "dob": (
        "{who}'s date of birth is {dob}, verify before the payout",
        "{name} was born on {dob} so she's eligible",
        "DOB {dob} on the application doesn't match the ID",
        "d.o.b. for {who}: {dob}",
        "the patient's birth date is {dob}",
    ),
    "address": (
        "{who} lives at {address}, drop the parcel there",
        "{name}'s home address is {address}",
        "deliver to {address}, the customer's house, not the office",
        "the guy who complained lives on {address} lol",
        "send the replacement to {who} at {address}",
    ),
    "health": (
        "{who} told me she's on {medication} for her {condition}",
        "{name} has {condition}, go easy on the deadlines",
        "heads up, {who} was diagnosed with {condition} last week",
        "the patient in bed 4 is on {medication}",
        "{name} is taking {medication} so no alcohol at the offsite",
        "poor {name}, the {condition} is back",
        "{who} asked us to keep quiet about his {condition}",
        "apparently {name} needs {medication} twice a day since the {condition} diagnosis",
    ),
    "device": (
        "{who}'s phone IMEI is {imei}, blocklist it",
        "the stolen laptop's MAC is {mac}",
        "{name}'s device id {imei} shows up in the logs",
        "serial number {serial} belongs to the customer's macbook",
        "whitelist mac address {mac} for {name}",
    ),
    "otp": (
        "{who} read me the code they texted her: {otp}",
        "my 2FA code is {otp} can you log in quick",
        "the verification code for {name}'s account is {otp}",
        "otp {otp}, hurry it expires in 5 min",
        "use one time code {otp} to get into the customer portal",
        "{name} forwarded the sms code {otp} to the team chat",
    ),
    "password": (
        "the pasword for the shared acount is {password}",
        "wifi pw is {password} for anyone in the office",
        "login for the staging box: admin / {password}",
        "{name} changed the admin password to {password} lol",
        "our vpn passwd is {password} don't tell IT",
        "new password: {password} (the old one expired)",
        "credentials for the demo account are demo@acme.io and {password}",
        "pw for the twitter account is {password}",
    ),
    "token": (
        "here is the key for the integration {token}",
        "oops pasted the api key {token} in the wrong channel",
        "our bot token is {token}, don't share it",
        "can someone revoke {token} asap",
        "deploy with {token} until the vault is back",
        "the CI uses {token} for publishing",
        "try this token: {token}",
        "{name} dm'd me {token} for the webhook",
    ),
    "session": (
        "copy my cookie {session} and you'll be logged in as me",
        "here's the session token from devtools: {session}",
        "if it breaks again use {session} in the header",
        "{name} pasted the session id {session} into the ticket",
        "auth cookie is {session} for the admin panel",
    ),
    "conn": (
        "the db string is {conn}",
        "connect with {conn} for the report",
        "{name} put {conn} in the README",
        "prod mongo: {conn} lol",
        "cron job uses {conn}, rotate it after",
    ),
}

# Hard negatives: the same shapes, nobody's data, no secret. No labelled slot.
NEGATIVES: tuple[str, ...] = (
    "we won 3-1 last night, what a game",
    "final score 102-99, the comeback was unreal",
    "Lakers 118 - 112 Celtics, called it",
    "she ran the 10k in 42:17, new PB",
    "set scores 21-18, 21-15, 19-21, 25-23",
    "the new model SM-G991B ships in June",
    "part number 4417-220-31 is back in stock",
    "order #A1-99201-77 arrived two days late",
    "ISBN 978-0-13-468599-1 is the one for the course",
    "flight UA 2231 delayed again",
    "tracking number 1Z999AA10123456784 says delivered",
    "meeting moved to 14/03/2025 at 10:30, room 4012",
    "born in the 90s, raised on dial-up",
    "my birthday is next week, cake in the kitchen",
    "I have a cold, working from home today",
    "flu season is here, get your vaccine",
    "our diabetes app just launched in the store",
    "our office at 1 Market St is closed Monday",
    "the conference is at the Moscone Center this year",
    "reset your password every 90 days, says IT",
    "forgot my pasword again, third time this week",
    "password managers are great, use one",
    "api_key=YOUR_API_KEY in the example config",
    "use xxxx-xxxx-xxxx-xxxx as the format in the form",
    "the docs show AKIAIOSFODNN7EXAMPLE as the access key",
    "sk_test_ keys are fine to share in the sandbox guide",
    "fixed in commit 3f9a2c71b0e84d5a96c1f7e2d4b8a0c6e5f1d2a3, deploying now",
    "checksum sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "request id 123e4567-e89b-12d3-a456-426614174000 failed, retrying",
    "we shipped 4,512,330 units last quarter",
    "version 2.14.3 fixes the login bug",
    "the code review is at 3, bring coffee",
    "promo code SAVE20 works until Friday",
    "call 555-0123 if you want to reach the Ghostbusters",
    "email jane@example.com for the template",
    "room 1208, third floor, next to the lifts",
    "temperature hit 38.5 today, stay inside",
    "the bus 42 to Oak Street is cancelled",
    "Q3 revenue was up 12% to 4.2 million",
    "my password is my dog's name lol",
    "the IMEI is printed under the battery, check yours",
    "top 10 tips for a 5k in under 25:00",
    "stock ticker AAPL closed at 227.48",
    "invoice 2024-0931 is paid",
    "doctor appointment for me at 3pm, back after",
    "the 2FA setup guide is on the wiki",
    "zip code 94107 is where our office is",
    "our support line is open 9 to 5",
    "score was 4 - 2 after extra time",
    "model number WH-1000XM5 headphones on sale",
    "we beat them {score} and {name} scored twice",
    "halftime {score}, come on",
    "the part {product} is on backorder",
    "item {product} is the cheaper one",
    "order {product} shipped today",
    "build {digest} is green",
    "bumped to {digest}, please pull",
    "in the config put {placeholder} and restart",
    "the tutorial says token = {placeholder}",
    "we hit {count} signups this week",
    "{name} ran it in {score} flat",
    "the ticket id is {digest}",
    "set API_KEY={placeholder} before running",
    "{who} asked what the score was, {score}",
    "sku {product} sold out in an hour",
)


@dataclass(frozen=True)
class Example:
    id: str
    split: str
    group: str
    template: str
    text: str
    spans: tuple[tuple[int, int, str, str], ...]  # start, end, kind, category

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "split": self.split,
            "group": self.group,
            "template": self.template,
            "text": self.text,
            "spans": [
                {"start": s, "end": e, "kind": k, "category": c} for s, e, k, c in self.spans
            ],
        }


def _fill(template: str, r: random.Random) -> tuple[str, tuple[tuple[int, int, str, str], ...]]:
    out, spans, i = "", [], 0
    while True:
        j = template.find("{", i)
        if j < 0:
            out += template[i:]
            break
        k = template.index("}", j)
        out += template[i:j]
        slot = template[j + 1 : k]
        if slot == "who":
            out += r.choice(WHO)
        elif slot == "name":
            out += r.choice(NAME)
        else:
            value, kind = GENERATORS[slot](r)
            if kind:
                spans.append(
                    (len(out), len(out) + len(value), kind, CATEGORY_OF_KIND.get(kind, PD))
                )
            out += value
        i = k + 1
    if r.random() < 0.5:
        out = out[0].upper() + out[1:]
    return out, tuple(spans)


def examples() -> Iterator[Example]:
    r = random.Random(SEED)
    for group, templates in TEMPLATES.items():
        for t_index, template in enumerate(templates):
            split = SPLIT_OF[t_index % len(SPLIT_OF)]
            for n in range(PER_TEMPLATE):
                text, spans = _fill(template, r)
                yield Example(f"{group}-{t_index}-{n}", split, group, template, text, spans)
    for t_index, template in enumerate(NEGATIVES):
        split = SPLIT_OF[t_index % len(SPLIT_OF)]
        seen: set[str] = set()
        for n in range(PER_TEMPLATE if "{" in template else 1):
            text, _ = _fill(template, r)
            if text.lower() not in seen:
                seen.add(text.lower())
                yield Example(f"negative-{t_index}-{n}", split, "negative", template, text, ())


def render() -> dict[str, str]:
    """File name -> content, for every file of the set."""
    by_split: dict[str, list[Example]] = {"train": [], "dev": [], "test": []}
    for ex in examples():
        by_split[ex.split].append(ex)
    files: dict[str, str] = {}
    for split, rows in by_split.items():
        files[f"{split}.jsonl"] = "".join(
            json.dumps(ex.as_json(), ensure_ascii=False) + "\n" for ex in rows
        )
        for category in (PD, CR):
            lines = ["label\ttext"]
            for ex in rows:
                label = int(any(c == category for _, _, _, c in ex.spans))
                lines.append(f"{label}\t{ex.text}")
            files[f"{split}_{category}.tsv"] = "\n".join(lines) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    files = render()
    if args.check:
        stale = [n for n, c in files.items() if not (args.out / n).is_file()
                 or (args.out / n).read_text(encoding="utf-8") != c]
        if stale:
            print(f"out of date: {', '.join(stale)}; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (args.out / name).write_text(content, encoding="utf-8")
    counts = {s: files[f"{s}.jsonl"].count("\n") for s in ("train", "dev", "test")}
    print(f"wrote {args.out}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
