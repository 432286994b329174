"""Rule 5 help: short, editable texts the employee may post after fixing a flagged post.

Rule 5 says: delete or correct the text, tell your readers about it, and apologize where
someone was hurt. Which of those fits depends on what was flagged, so each category gets
its own kind of notice. These are suggestions only: nothing here is ever posted for anyone.
The texts never quote the flagged post, so they cannot repeat what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suggestion:
    """One suggested text: ``kind`` is apology, correction or deletion_notice."""

    kind: str
    title: str
    text: str


_APOLOGY = Suggestion(
    "apology",
    "Apology",
    "I'm sorry about something I posted earlier. The way I put it was hurtful, and that "
    "was not OK. I have taken it down. To anyone I offended: I apologize.",
)
_CORRECTION = Suggestion(
    "correction",
    "Correction notice",
    "Correction: an earlier post of mine got something wrong, and I have edited it. "
    "Thanks to everyone who pointed it out, and sorry for any confusion.",
)
_DELETION_PERSONAL = Suggestion(
    "deletion_notice",
    "Deletion notice",
    "I deleted an earlier post because it included someone's personal details by mistake. "
    "If you shared or saved it, please delete your copy too. Apologies to anyone affected.",
)
_DELETION_CREDENTIALS = Suggestion(
    "deletion_notice",
    "Deletion notice",
    "I removed an earlier post that contained an access key by mistake. The key has been "
    "revoked, so it no longer works. Please don't repost it.",
)
_DELETION_CONFIDENTIAL = Suggestion(
    "deletion_notice",
    "Deletion notice",
    "I removed an earlier post: it shared work details that were not mine to share. "
    "Please don't repost or quote it. Thanks for understanding.",
)
_DELETION_LEGAL = Suggestion(
    "deletion_notice",
    "Deletion notice",
    "I have removed an earlier post in which I commented on a legal matter. I should not "
    "have, and I can't comment on it further.",
)

# Category -> suggestions, the most fitting first. An unknown category gets a correction.
_BY_CATEGORY: dict[str, tuple[Suggestion, ...]] = {
    "harmful": (_APOLOGY, _CORRECTION),
    "personal_data": (_DELETION_PERSONAL,),
    "credentials": (_DELETION_CREDENTIALS,),
    "confidential": (_DELETION_CONFIDENTIAL, _CORRECTION),
    "legal": (_DELETION_LEGAL, _CORRECTION),
}


def suggest(category: str) -> tuple[Suggestion, ...]:
    """The suggested notices for a flag of ``category``, the most fitting first (never empty)."""
    return _BY_CATEGORY.get(category, (_CORRECTION,))
