"""The rule table: every row, in the order the rules are tried (at one position, an earlier
row's match comes first), and the values that are public by design.
"""

from __future__ import annotations

import re

from classifiers.credential_rules import (
    formats,
    own_kinds,
    services_1,
    services_2,
    services_3,
    services_4,
)
from classifiers.credential_rules.rule import Rule

RULES: tuple[Rule, ...] = (
    *own_kinds.ROWS,
    *services_1.ROWS,
    *services_2.ROWS,
    *services_3.ROWS,
    *formats.ROWS,
    *services_4.ROWS,
)

# Values their provider documents as public by design (Stripe publishable keys, Mapbox public
# tokens): never a credential, and no weaker rule may report them either.
PUBLIC = re.compile(r"(?<![\w\-])(?:pk_(?:live|test)_[A-Za-z0-9]{16,}|pk\.eyJ[\w\-]+\.[\w\-]+)")

PROVIDERS: frozenset[str] = frozenset(r.provider for r in RULES)
