"""What a support deployment's fields must keep, whichever face wrote them, and what the
data-quality report says of the stored ones.

Three kinds of finding, all read from the deployment's values alone (no database), so that a write
is refused and the report speaks in the same words:

- `problems`: rules a write must keep (422 naming the fields): days not negative, the end not
  before the start, the brokering steps' dates in the order of BROKERING_STEPS, nothing after a
  school declined, a matched deployment naming its supporting organisation, the school's response
  with its date, one origin matching origin_kind, the provider not the school supported;
- `warnings`: allowed, but shown on both faces (more days delivered than planned);
- `gaps`: what the review needs and is missing by now (the data-quality report only): delivered
  days with no delivery date, an outcome with no review date or a review with no outcome, a
  suggested conflict of interest not checked, an earlier brokering step with no date, support
  ended but not reviewed.

app.services.support_quality selects the deployments with any finding in SQL; its test holds the
two to agreement."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from app.errors import FieldError
from app.models.support import BROKERING_STEPS, OriginKind, SchoolResponse, SupportOutcome

STEP_FIELDS = tuple(name for name, _ in BROKERING_STEPS)
STEP_WORDS = dict(BROKERING_STEPS)
# The steps of brokering proper: once one is dated, each before it should be too. Delivery and
# review follow support that was never brokered as well (an SLE deployed by the alliance).
BROKERING_CHAIN = STEP_FIELDS[:STEP_FIELDS.index("matched_on") + 1]
# A check of conflicts of interest is recorded for support that was never brokered too (the
# provider school shares the supported school's trust): it asks for no earlier step.
CHAIN_TRIGGERS = tuple(name for name in BROKERING_CHAIN if name != "conflicts_checked_on")
# What follows the school's response: nothing of it once the school declined.
AFTER_RESPONSE = STEP_FIELDS[STEP_FIELDS.index("responded_on") + 1:]
ORIGIN_FIELDS = {OriginKind.triad_visit.value: "origin_visit_id",
                 OriginKind.clinic_action.value: "origin_clinic_action_id",
                 OriginKind.plan_action.value: "origin_plan_action_id"}
NOT_YET = SupportOutcome.not_yet_completed.value
OUTCOME_WORDS = {"green": "green", "amber": "amber", "red": "red", NOT_YET: "not yet completed"}


def day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _get(d: Any, name: str) -> Any:
    return d.get(name) if isinstance(d, dict) else getattr(d, name, None)


def _step(name: str, value: date) -> str:
    return f"{STEP_WORDS[name].lower()} ({day(value)})"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def problems(d: Any) -> list[tuple[str, FieldError]]:
    """The rules `d` breaks (a SupportDeployment, or a dict of its columns with `school_id` and
    `provider_school_id`): (kind of finding, the error naming its field). Both fields of a pair out
    of order are named."""
    found: list[tuple[str, FieldError]] = []

    def add(key: str, field: str, message: str) -> None:
        found.append((key, FieldError(field, message)))

    for name in ("days_planned", "days_delivered"):
        value = _get(d, name)
        if value is not None and value < 0:
            add("days_negative", name, "days cannot be negative")
    start, end = _get(d, "start_on"), _get(d, "end_on")
    if start and end and end < start:
        add("end_before_start", "end_on", f"the end ({day(end)}) cannot be before the start ({day(start)})")

    dated = [(name, _get(d, name)) for name in STEP_FIELDS if _get(d, name) is not None]
    named: set[str] = set()
    for j, (later, later_on) in enumerate(dated):
        for earlier, earlier_on in dated[:j]:
            if later_on < earlier_on:
                if later not in named:
                    add("order", later, f"{_sentence(_step(later, later_on))} cannot come before "
                                        f"{_step(earlier, earlier_on)}: the steps' dates keep their order")
                if earlier not in named:
                    add("order_pair", earlier, f"{_sentence(_step(earlier, earlier_on))} must come before "
                                          f"{_step(later, later_on)}")
                named |= {later, earlier}

    response, responded = _get(d, "school_response"), _get(d, "responded_on")
    if response is not None and responded is None:
        add("response_pair", "responded_on", "say when the school responded")
    if responded is not None and response is None:
        add("response_pair", "school_response", "say whether the school accepted or declined")
    if response == SchoolResponse.declined.value:
        for name in AFTER_RESPONSE:
            if _get(d, name) is not None:
                add("declined_then_steps", name,
                    f"the school declined the support, so no later step ({STEP_WORDS[name].lower()}) can follow")
    if _get(d, "matched_on") is not None and not _get(d, "supporting_organisation"):
        add("matched_no_organisation", "supporting_organisation",
            "name the supporting organisation the school was matched with")

    kind = _get(d, "origin_kind")
    given = [field for field in ORIGIN_FIELDS.values() if _get(d, field) is not None]
    if len(given) > 1:
        for field in given[1:]:
            add("origin", field, f"give at most one origin; {given[0]} is given already")
    elif given and ORIGIN_FIELDS.get(kind or "") != given[0]:
        expected = next(k for k, f in ORIGIN_FIELDS.items() if f == given[0])
        add("origin", "origin_kind", f"origin_kind must be {expected} for {given[0]}")

    provider = _get(d, "provider_school_id")
    if provider is not None and provider == _get(d, "school_id"):
        add("provider_self", "provider_urn", "a school cannot be its own provider of support")
    return found


def warnings(d: Any) -> list[str]:
    """What is allowed but worth a look, in words (both faces show these)."""
    planned, delivered = _get(d, "days_planned"), _get(d, "days_delivered")
    if planned is not None and delivered is not None and delivered > planned:
        return [f"More days delivered ({delivered:g}) than planned ({planned:g})"]
    return []


def gaps(d: Any, *, conflict: str | None, today: date) -> list[tuple[str, str]]:
    """What a deployment lacks by now (the data-quality report): (kind of finding, words). `conflict`
    is the suggested conflict of interest, if any (app.services.support_quality.suggestions)."""
    found: list[tuple[str, str]] = []
    outcome, reviewed = _get(d, "outcome"), _get(d, "reviewed_on")
    delivered = _get(d, "days_delivered")
    if delivered and _get(d, "delivery_started_on") is None:
        found.append(("delivered_no_start", f"{delivered:g} days delivered, but no date when delivery started"))
    if outcome not in (None, NOT_YET) and reviewed is None:
        found.append(("outcome_no_review", f"The outcome is {OUTCOME_WORDS.get(outcome, outcome)}, but no review "
                                           "date is recorded"))
    if reviewed is not None and outcome == NOT_YET:
        found.append(("reviewed_not_completed", f"Reviewed on {day(reviewed)}, but the outcome is still "
                                                "not yet completed"))
    if reviewed is not None and delivered is None:
        found.append(("reviewed_no_days", "Reviewed, but no days delivered are recorded"))
    if conflict and _get(d, "conflicts_checked_on") is None:
        found.append(("conflict_unchecked", f"A conflict of interest is suggested ({conflict}), but no check "
                                            "is recorded"))
    chain = [(name, _get(d, name)) for name in BROKERING_CHAIN]
    last = max((i for i, (name, value) in enumerate(chain) if value is not None and name in CHAIN_TRIGGERS),
               default=-1)
    declined = _get(d, "school_response") == SchoolResponse.declined.value
    missing = [name for name, value in chain[:max(last, 0)] if value is None]
    if missing and not declined:
        found.append(("step_missing", f"{STEP_WORDS[chain[last][0]]} is recorded, but not when: "
                                      + ", ".join(STEP_WORDS[name].lower() for name in missing)))
    end = _get(d, "end_on")
    if end is not None and end < today and reviewed is None:
        found.append(("ended_not_reviewed", f"The support ended on {day(end)}, but it is not reviewed"))
    return found


def findings(d: Any, *, conflict: str | None, today: date) -> list[tuple[str, str]]:
    """Every rule broken and every gap, in words (the data-quality report's list of problems)."""
    # A pair out of order is said once (by its later step), not once for each field.
    broken = [(key, _sentence(error.message)) for key, error in problems(d) if key != "order_pair"]
    return broken + gaps(d, conflict=conflict, today=today)


def errors_of(found: Iterable[tuple[str, FieldError]]) -> list[FieldError]:
    return [error for _, error in found]
