"""The company policy (``config/policy.toml``): typed, validated once at start-up."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from classifiers.base import CATEGORIES, CompanyTerms, EmployerIdentity

Category = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(_Strict):
    names: list[str] = []
    products: list[str] = []
    handles: list[str] = []
    people: list[str] = []


class Confidential(_Strict):
    project_code_names: list[str] = []
    unreleased_products: list[str] = []
    secret_clients: list[str] = []
    internal_events: list[str] = []
    internal_hosts: list[str] = []


class Allow(_Strict):
    terms: list[str] = []


class Thresholds(_Strict):
    alert: float = Field(0.75, ge=0, le=1)
    digest: float = Field(0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.digest > self.alert:
            raise ValueError("digest threshold must not be above the alert threshold")
        return self


class Routing(_Strict):
    immediate: list[str] = ["credentials", "personal_data", "confidential", "harmful"]
    digest_only: list[str] = ["legal"]

    @model_validator(mode="after")
    def _known(self) -> Routing:
        for field_name in ("immediate", "digest_only"):
            for cat in getattr(self, field_name):
                if cat not in CATEGORIES:
                    raise ValueError(
                        f"{field_name}: unknown category {cat!r}; expected one of "
                        + ", ".join(CATEGORIES)
                    )
        both = set(self.immediate) & set(self.digest_only)
        if both:
            raise ValueError(f"categories in both immediate and digest_only: {sorted(both)}")
        return self


class Escalation(_Strict):
    enabled: bool = False
    after_days: int = Field(14, ge=1)


class Rule(_Strict):
    title: str
    plain: str


class Policy(_Strict):
    company: Company = Company()
    confidential: Confidential = Confidential()
    allow: Allow = Allow()
    thresholds: Thresholds = Thresholds()
    routing: Routing = Routing()
    escalation: Escalation = Escalation()
    rules: dict[str, Rule] = {}

    @model_validator(mode="after")
    def _rules_present(self) -> Policy:
        missing = [r for r in ("1", "4", "5") if r not in self.rules]
        if missing:
            raise ValueError(f"rules {', '.join(missing)} need a title and plain text")
        return self

    def rule_text(self, rule: str) -> str:
        r = self.rules.get(rule)
        return f"Rule {rule}: {r.title}. {r.plain}" if r else f"Rule {rule}"

    def company_terms(self) -> CompanyTerms:
        c = self.confidential
        return CompanyTerms(
            project_code_names=tuple(c.project_code_names),
            unreleased_products=tuple(c.unreleased_products),
            secret_clients=tuple(c.secret_clients),
            internal_events=tuple(c.internal_events),
            internal_hosts=tuple(c.internal_hosts),
            allowed_terms=tuple(self.allow.terms),
        )

    def employer_identity(self) -> EmployerIdentity:
        c = self.company
        return EmployerIdentity(
            names=tuple(c.names),
            products=tuple(c.products),
            handles=tuple(c.handles),
            people=tuple(c.people),
        )
