"""Health data described in prose: a condition or a medication said of someone else.

A term (a condition such as "diabetes", a medication such as "sertraline") counts only with a
verb or phrase that gives it to someone ("was diagnosed with", "is on") and a person who is
not the writer: a work relation or a named person makes it a leak (0.8), an owner cue alone a
near miss (0.45); awareness months, research and product news do not count. Runs on the
normalised view like the other rules of :mod:`classifiers.prose_personal`; returned as
``(kind, start, end, score)``.
"""

from __future__ import annotations

import re

from classifiers.keyword_gate import Gate, words
from classifiers.prose_cues import owned

Hit = tuple[str, int, int, float]

# Health conditions and medication; the rule needs a person cue in the same sentence.
_CONDITIONS = (
    r"(?:type\s+[12]\s+)?diabet(?:es|ic)|epilep(?:sy|tic)|\bhiv\b(?:\s+positive)?|\baids\b|"
    r"(?:breast|lung|prostate|skin|bowel|pancreatic|ovarian|brain)\s+cancer|cancer|"
    r"leukemia|leukaemia|lymphoma|tumou?r|chemo(?:therapy)?|dialysis|"
    r"(?:clinical\s+)?depression|bipolar(?:\s+disorder)?|schizophreni[ac]|psychosis|"
    r"ptsd|ocd|adhd|autis(?:m|tic)|anxiety\s+disorder|panic\s+attacks|"
    r"eating\s+disorder|anorexi[ac]|bulimi[ac]|(?:early\s+onset\s+)?dementia|"
    r"alzheimer'?s|parkinson'?s|multiple\s+sclerosis|crohn'?s(?:\s+disease)?|"
    r"colitis|hepatitis\s*[abc]?|cirrhosis|tuberculosis|\bstd\b|herpes|syphilis|"
    r"miscarriage|infertility|ivf|(?:heart|kidney|liver)\s+(?:failure|disease|transplant)|"
    r"stroke|seizures?|asthma|copd|lupus|fibromyalgia|sickle\s+cell|cystic\s+fibrosis|"
    r"addiction|alcoholism|rehab|overdose|suicidal|self[\s-]harm|pregnant|pregnancy|"
    r"heart\s+attack|concussion|hiv\s+positive|mental\s+breakdown|nervous\s+breakdown"
)
_MEDS = (
    r"metformin|insulin|sertraline|zoloft|fluoxetine|prozac|escitalopram|lexapro|"
    r"citalopram|bupropion|wellbutrin|venlafaxine|lithium|lamotrigine|quetiapine|"
    r"seroquel|olanzapine|risperidone|aripiprazole|abilify|methotrexate|humira|"
    r"adalimumab|adderall|ritalin|methylphenidate|vyvanse|ozempic|wegovy|semaglutide|"
    r"prednisone|prednisolone|antiretrovirals?|truvada|prep|xanax|alprazolam|valium|"
    r"diazepam|klonopin|oxycodone|oxycontin|methadone|suboxone|buprenorphine|morphine|"
    r"fentanyl|tramadol|warfarin|eliquis|levothyroxine|antidepressants?|antipsychotics?|"
    r"chemo|keytruda|tamoxifen|herceptin|epipen|inhaler"
)
# Stems of every term above, for the gate (substrings, so "diabet" covers "diabetic").
HEALTH_STEMS = words(
    "diabet epilep hiv aids cancer leuk lymph tumo chemo dialys depress bipolar schizo "
    "psychos ptsd ocd adhd autis anxiety panic eating anorex bulim dementia alzheim "
    "parkins sclerosis crohn colitis hepatitis cirrhos tubercul std herpes syphil "
    "miscarr infertil ivf failure transplant disease stroke seizure asthma copd lupus "
    "fibromyal sickle cystic addict alcoholism rehab overdose suicid harm "
    "metformin insulin sertraline zoloft fluoxetine prozac citalopram lexapro "
    "bupropion wellbutrin venlafaxine lithium lamotrigine quetiapine seroquel "
    "olanzapine risperidone aripiprazole abilify methotrexate humira adalimumab "
    "adderall ritalin methylphenidate vyvanse ozempic wegovy semaglutide prednis "
    "antiretroviral truvada prep xanax alprazolam valium diazepam klonopin oxycod "
    "oxycontin methadone suboxone buprenorphine morphine fentanyl tramadol warfarin "
    "eliquis levothyroxine antidepress antipsychotic keytruda tamoxifen herceptin "
    "epipen inhaler pregnan concussion breakdown attack"
)
_HEALTH_TERM = re.compile(r"\b(" + _CONDITIONS + r"|" + _MEDS + r")\b")
_HEALTH_VERB = re.compile(
    r"\b(?:has|had|have|having|got|is on|was on|on|taking|takes|took|needs|prescribed|"
    r"diagnos\w*|suffer\w*|treated|treatment|battling|fighting|living with|relapse\w*|"
    r"back|about|for|recovering|recovery|positive|tested|pregnant|is)\b"
)
_HEALTH_AFTER = re.compile(
    r"\s*(?:is|are|was)\s+back\b|\s+(?:diagnosis|relapse|treatment|flare)|"
    r"(?:-positive)?\s+(?:customers?|clients?|patients?|guests?|colleagues?|co-?workers?|"
    r"employees?|users?|lady|guy|man|woman|kid|child)\b"
)
_NOT_PERSONAL_HEALTH = re.compile(
    r"\b(?:app|awareness|month|research|study|trial|charity|fundraiser|campaign|product|"
    r"drug\s+launch|launch\w*|season|vaccine|clinic\s+opens|article|podcast|webinar)\b"
)
_FIRST_PERSON = re.compile(
    r"^\s*(?:i|i'm|i've|im)\b|\b(?:i have|i'm on|i take|my)\s*$|"
    r"\b(?:i|we)\s*(?:have|had|am|are|was|were|'m|'re|'ve|take|took|got)\b[^.!?]{0,20}$"
)


# Whose health: a work relation or a named person is a leak; "he"/"she" alone is too vague
# (tweets talk about public figures), and the writer's family is their own business.
_WORK_PERSON = re.compile(
    r"(?<!@)(?<!be )\b(?:customers?|clients?|patients?|guests?|users?|members?|callers?|tenants?|"
    r"colleagues?|co-?workers?|employees?|staff|new hire|applicants?|candidates?|boss|"
    r"manager|intern|contractor|teammates?|mr|mrs|ms|dr)\b|\bbed\s+\d|\broom\s+\d|"
    r"\b(?:lady|guy|gentleman|man|woman)\s+(?:from|in|at)\b|\bticket\s+#?\d"
)
_NAMED_SUBJECT = re.compile(
    r"\b(?!(?:He|She|They|It|We|You|The|This|That|My|His|Her|Their|God|Apparently|Poor|"
    r"Heads|Our|Your|And|But|So|If|When|Now|Today|Still)\b)[A-Z][a-z]{2,}(?:'s)?\s+"
    r"(?:has|had|needs|takes|got|started|stopped|told|said|asked|mentioned|"
    r"(?:is|was|'s)\s+(?:on|taking|diagnosed|recovering|pregnant|allergic|in\s+hospital|"
    r"being\s+treated|having|back\s+on|still\s+on))\b"
    r"|\b(?i:poor)\s+(?:(?i:mr|mrs|ms|dr)\.?\s+)?[A-Z][a-z]+"
    r"|\b(?:Mr|Mrs|Ms|Dr)\.?\s+[A-Z][a-z]+"
)
_SENTENCE_BREAK = re.compile(r"(?<!\bmr)(?<!\bmrs)(?<!\bms)(?<!\bdr)[.!?\n]\s")


def _sentence_start(lower: str, pos: int) -> int:
    starts = [m.end() for m in _SENTENCE_BREAK.finditer(lower, max(0, pos - 200), pos)]
    return starts[-1] if starts else max(0, pos - 200)


_HEALTH_STEMS = Gate(HEALTH_STEMS)


def _health_terms(lower: str) -> list[re.Match[str]]:
    """Matches of the term pattern, searched only around the stems the automaton found (the
    pattern's many alternatives are slow to try at every position of a long post)."""
    windows: list[list[int]] = []
    for end, stem in _HEALTH_STEMS.hits(lower):
        lo, hi = max(0, end - len(stem) - 28), end + 30
        space = lower.find(" ", hi)
        hi = len(lower) if space < 0 else space
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    found: dict[int, re.Match[str]] = {}
    for lo, hi in windows:
        for m in _HEALTH_TERM.finditer(lower, lo, hi):
            found.setdefault(m.start(), m)
    return [found[k] for k in sorted(found)]


def health(text: str, lower: str) -> list[Hit]:
    out = []
    for m in _health_terms(lower):
        sentence_start = _sentence_start(lower, m.start())
        before = lower[sentence_start : m.start()]
        after = lower[m.end() : m.end() + 30]
        if _NOT_PERSONAL_HEALTH.search(after[:20]) or _NOT_PERSONAL_HEALTH.search(before[-25:]):
            continue
        sentence = text[sentence_start : m.end() + 30]
        strong = bool(_WORK_PERSON.search(before + after) or _NAMED_SUBJECT.search(sentence))
        if not strong and not owned(lower, m.start(), m.end()):
            continue
        if _FIRST_PERSON.search(before) and not re.search(r"\b(?:her|his|their|he|she)\b", before):
            continue
        if not (_HEALTH_VERB.search(before[-60:]) or _HEALTH_AFTER.match(after)):
            continue
        if strong and m.group(1).startswith("pregnan") and not _WORK_PERSON.search(before + after):
            strong = False  # a named person's pregnancy is mostly celebrity news
        out.append(("health_data", m.start(1), m.end(1), 0.8 if strong else 0.45))
    return out
