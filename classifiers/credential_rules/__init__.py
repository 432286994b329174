"""The credential rule table: public token formats of online services, one row each.

Every row is data: the provider, what the value is, the finding ``kind`` it reports, a
regular expression for the documented format (prefix, length, character set), the page of
the provider's documentation the format comes from, and one true and one false example.
``tests/classifiers/test_credential_rules.py`` runs every row both ways.

Optional fields:

* ``check`` names a validator in :data:`CHECKS` that a match must also pass: the CRC32
  checksum GitHub and npm put in the last six characters of their tokens, a JWT header that
  decodes to JSON with an ``alg``, a connection string whose password is not a default.
  A row with a check trusts the check instead of the entropy floor.
* ``test`` is a pattern for the provider's own test-mode marker (``sk_test_``,
  ``$sandbox$``, ``EZTK``): such a value is reported at :data:`TEST_KEY_SCORE`, below the
  digest threshold, because a test key cannot move real money or data.

Placeholders (``xxxx``, ``<your-key>``, ``EXAMPLE``, ``${VAR}``) and values too regular to
be random are dropped by the detector for every row (see ``classifiers/credentials.py``).
The true examples are random strings made for this table in the documented shapes; none is
a real credential.

The rows sit in consecutive pieces of the table, in the order the rules are tried:
``own_kinds`` (the providers with a finding kind of their own), ``services_1`` to
``services_3``, ``formats`` (JWTs, key files, connection strings), ``services_4``; ``table``
joins them. ``rule`` is the row, ``checks`` the validators, ``matching`` finds rows in a text.
"""

from classifiers.credential_rules.checks import (
    CHECKS,
    DOC_NAME,
    crc32_base62,
    jwt,
    tail_password,
    url_password,
)
from classifiers.credential_rules.matching import MIN_ENTROPY, find, literal_prefixes
from classifiers.credential_rules.rule import TEST_KEY_SCORE, Rule, RuleMatch
from classifiers.credential_rules.table import PROVIDERS, PUBLIC, RULES

__all__ = [
    "CHECKS",
    "DOC_NAME",
    "MIN_ENTROPY",
    "PROVIDERS",
    "PUBLIC",
    "RULES",
    "TEST_KEY_SCORE",
    "Rule",
    "RuleMatch",
    "crc32_base62",
    "find",
    "jwt",
    "literal_prefixes",
    "tail_password",
    "url_password",
]
