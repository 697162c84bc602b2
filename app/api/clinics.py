"""/api/v1/clinics: School Performance Clinics, their agendas, actions and targets; clinic actions
and targets by their own ids; a school's review judgements."""

from typing import Annotated, Any

from fastapi import Path, Query, Response, status

from app.api.deps import CurrentPrincipal, IfMatch, SchoolFromPath, no_null
from app.api.problems import problem_responses
from app.deps import SessionDep
from app.models.clinic import Clinic, ClinicAgendaItem, ClinicStatus
from app.models.clinic_api import (
    AgendaAdd,
    AgendaItemPublic,
    AgendaItemUpdate,
    ClinicActionCreate,
    ClinicActionPublic,
    ClinicActionUpdate,
    ClinicCreate,
    ClinicDetail,
    ClinicPage,
    ClinicPublic,
    ClinicUpdate,
    ReviewJudgementPublic,
    ReviewJudgementWrite,
    TargetCreate,
    TargetPublic,
    TargetUpdate,
)
from app.models.indicator import AcademicYear
from app.models.types import MAX_ID
from app.routing import Router
from app.services import clinic_actions, clinic_agenda, clinics, review_judgements
from app.services.clinic_actions import Agreed
from app.services.concurrency import etag
from app.services.paging import MAX_LIMIT

router = Router(tags=["clinics"])

ClinicId = Annotated[int, Path(ge=1, le=MAX_ID)]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
ActionId = Annotated[int, Path(ge=1, le=MAX_ID)]
TargetId = Annotated[int, Path(ge=1, le=MAX_ID)]
_CLINIC_FIELDS = tuple(name for name in ClinicPublic.model_fields if name not in ("locked", "changes"))


def clinic_public(clinic: Clinic) -> dict[str, Any]:
    public = {name: getattr(clinic, name) for name in _CLINIC_FIELDS}
    public["locked"] = clinic.status == clinics.LOCKED
    public["changes"] = clinic.changes or {}
    return public


def item_public(item: ClinicAgendaItem) -> dict[str, Any]:
    snap = item.snapshot or {}
    return {"id": item.id, "position": item.position, "kind": item.kind, "urn": snap.get("urn"),
            "school_name": snap.get("name"), "severity": snap.get("severity"), "flags": snap.get("flags", []),
            "la_category": snap.get("la_category"), "explanation": item.explanation, "minutes": item.minutes,
            "version": item.version, "updated_at": item.updated_at, "updated_by": item.updated_by}


def action_public(agreed: Agreed) -> dict[str, Any]:
    a = agreed.record
    return {"id": a.id, "clinic_id": a.clinic_id, "urn": agreed.urn, "school_name": agreed.school_name,
            "text": a.text, "owner": a.owner, "due_on": a.due_on, "overdue": agreed.overdue, "status": a.status,
            "note": a.note, "closed_at_clinic_id": a.closed_at_clinic_id, "version": a.version,
            "updated_at": a.updated_at, "updated_by": a.updated_by}


def target_public(agreed: Agreed) -> dict[str, Any]:
    t = agreed.record
    return {"id": t.id, "clinic_id": t.clinic_id, "urn": agreed.urn, "school_name": agreed.school_name,
            "outcome": t.outcome, "target_date": t.target_date, "reviewed_at_clinic_id": t.reviewed_at_clinic_id,
            "review": t.review, "met": t.met, "version": t.version}


def detail(session, clinic: Clinic) -> dict[str, Any]:  # noqa: ANN001
    """The clinic with its agenda, its actions, the actions carried forward and its targets: five
    queries, whatever their number."""
    items = clinic_agenda.items_of(session, [clinic.id])[clinic.id]
    actions, carried, targets = clinic_actions.agreed_at(session, clinic)
    return clinic_public(clinic) | {"agenda": [item_public(i) for i in items],
                                    "actions": [action_public(a) for a in actions],
                                    "carried_forward": [action_public(a) for a in carried],
                                    "targets": [target_public(t) for t in targets]}


def _tagged(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


@router.get("/clinics", response_model=ClinicPage, responses=problem_responses(400, 403))
def list_clinics(session: SessionDep, by: CurrentPrincipal,
                 academic_year: Annotated[list[AcademicYear] | None, Query(json_schema_extra=no_null)] = None,
                 clinic_status: Annotated[list[ClinicStatus] | None,
                                          Query(alias="status", json_schema_extra=no_null)] = None,
                 limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = clinics.DEFAULT_LIMIT,
                 cursor: Annotated[str | None, Query(max_length=500, json_schema_extra=no_null)] = None) -> dict:
    """The partnership's clinics, newest first (officers, viewers, tokens, the clinic's chair and members)."""
    result = clinics.page(session, academic_year=academic_year, status=[s.value for s in clinic_status or []],
                          limit=limit, cursor=cursor, by=by)
    return {"items": [clinic_public(c) for c in result.items], "total": result.total, "limit": result.limit,
            "next_cursor": result.next_cursor}


@router.post("/clinics", status_code=status.HTTP_201_CREATED, response_model=ClinicDetail,
             responses=problem_responses(400, 403))
def create_clinic(data: ClinicCreate, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    """Plan a clinic (officers). Its agenda is made when it opens (`PATCH {"status": "in_session"}`)."""
    clinic = clinics.create(session, data, by=by)
    _tagged(response, clinic.version)
    response.headers["Location"] = f"/api/v1/clinics/{clinic.id}"
    return detail(session, clinic)


@router.get("/clinics/{clinic_id}", response_model=ClinicDetail, responses=problem_responses(403, 404))
def get_clinic(clinic_id: ClinicId, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    clinic = clinics.get(session, clinic_id, by=by)
    _tagged(response, clinic.version)
    return detail(session, clinic)


@router.patch("/clinics/{clinic_id}", response_model=ClinicDetail,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_clinic(clinic_id: ClinicId, data: ClinicUpdate, session: SessionDep, by: CurrentPrincipal,
                  if_match: IfMatch, response: Response) -> dict:
    """Change some fields (officers), or `status` on its own: `in_session` opens the clinic and makes
    its agenda; `minutes_draft`; `minutes_approved` (the chair) locks it and plans the next meeting."""
    clinic = clinics.update(session, clinic_id, data, if_match=if_match, by=by)
    _tagged(response, clinic.version)
    return detail(session, clinic)


@router.delete("/clinics/{clinic_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 409, 412, 428))
def delete_clinic(clinic_id: ClinicId, session: SessionDep, by: CurrentPrincipal, if_match: IfMatch) -> None:
    """Remove a clinic that is only planned (officers)."""
    clinics.delete(session, clinic_id, if_match=if_match, by=by)


@router.get("/clinics/{clinic_id}/agenda", response_model=list[AgendaItemPublic],
            responses=problem_responses(403, 404))
def get_agenda(clinic_id: ClinicId, session: SessionDep, by: CurrentPrincipal) -> list[dict]:
    clinic = clinics.get(session, clinic_id, by=by)
    return [item_public(i) for i in clinic_agenda.items_of(session, [clinic.id])[clinic.id]]


@router.post("/clinics/{clinic_id}/agenda", status_code=status.HTTP_201_CREATED, response_model=AgendaItemPublic,
             responses=problem_responses(400, 403, 404, 409))
def add_agenda_item(clinic_id: ClinicId, data: AgendaAdd, session: SessionDep, by: CurrentPrincipal,
                    response: Response) -> dict:
    """Add a school to an opened clinic's agenda (officers), with its flags as they stand now."""
    item = clinic_agenda.add(session, clinic_id, data, by=by)
    _tagged(response, item.version)
    return item_public(item)


@router.patch("/clinics/{clinic_id}/agenda/{item_id}", response_model=AgendaItemPublic,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_agenda_item(clinic_id: ClinicId, item_id: ItemId, data: AgendaItemUpdate, session: SessionDep,
                       by: CurrentPrincipal, if_match: IfMatch, response: Response) -> dict:
    """Move an item (`position`, officers), or write its `explanation` or `minutes`."""
    item = clinic_agenda.update(session, clinic_id, item_id, data, if_match=if_match, by=by)
    _tagged(response, item.version)
    return item_public(item)


@router.get("/clinics/{clinic_id}/actions", response_model=list[ClinicActionPublic],
            responses=problem_responses(403, 404))
def list_actions(clinic_id: ClinicId, session: SessionDep, by: CurrentPrincipal,
                 carried_forward: Annotated[bool, Query(description="Include open actions of earlier clinics")] = True,
                 ) -> list[dict]:
    """The actions agreed at this clinic, then (unless `carried_forward=false`) those carried forward."""
    clinic = clinics.get(session, clinic_id, by=by)
    actions, carried, _ = clinic_actions.agreed_at(session, clinic)
    return [action_public(a) for a in [*actions, *(carried if carried_forward else [])]]


@router.post("/clinics/{clinic_id}/actions", status_code=status.HTTP_201_CREATED, response_model=ClinicActionPublic,
             responses=problem_responses(400, 403, 404, 409))
def add_action(clinic_id: ClinicId, data: ClinicActionCreate, session: SessionDep, by: CurrentPrincipal,
               response: Response) -> dict:
    agreed = clinic_actions.add_action(session, clinic_id, data, by=by)
    _tagged(response, agreed.record.version)
    response.headers["Location"] = f"/api/v1/actions/{agreed.record.id}"
    return action_public(agreed)


@router.get("/actions/{action_id}", response_model=ClinicActionPublic, responses=problem_responses(403, 404))
def get_action(action_id: ActionId, session: SessionDep, by: CurrentPrincipal, response: Response) -> dict:
    agreed = clinic_actions.get_action(session, action_id, by=by)
    _tagged(response, agreed.record.version)
    return action_public(agreed)


@router.patch("/actions/{action_id}", response_model=ClinicActionPublic,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_action(action_id: ActionId, data: ClinicActionUpdate, session: SessionDep, by: CurrentPrincipal,
                  if_match: IfMatch, response: Response) -> dict:
    """Change an open action, or close it (`done`, or `dropped` with a `note`) at a clinic (`clinic_id`)."""
    agreed = clinic_actions.update_action(session, action_id, data, if_match=if_match, by=by)
    _tagged(response, agreed.record.version)
    return action_public(agreed)


@router.get("/clinics/{clinic_id}/targets", response_model=list[TargetPublic], responses=problem_responses(403, 404))
def list_targets(clinic_id: ClinicId, session: SessionDep, by: CurrentPrincipal) -> list[dict]:
    """The targets agreed at this clinic, and earlier ones still to be reviewed."""
    clinic = clinics.get(session, clinic_id, by=by)
    return [target_public(t) for t in clinic_actions.agreed_at(session, clinic)[2]]


@router.post("/clinics/{clinic_id}/targets", status_code=status.HTTP_201_CREATED, response_model=TargetPublic,
             responses=problem_responses(400, 403, 404, 409))
def add_target(clinic_id: ClinicId, data: TargetCreate, session: SessionDep, by: CurrentPrincipal,
               response: Response) -> dict:
    agreed = clinic_actions.add_target(session, clinic_id, data, by=by)
    _tagged(response, agreed.record.version)
    return target_public(agreed)


@router.patch("/targets/{target_id}", response_model=TargetPublic,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_target(target_id: TargetId, data: TargetUpdate, session: SessionDep, by: CurrentPrincipal,
                  if_match: IfMatch, response: Response) -> dict:
    """Change a target, or review it at a later clinic (`review`, `met`, `reviewed_at_clinic_id`)."""
    agreed = clinic_actions.update_target(session, target_id, data, if_match=if_match, by=by)
    _tagged(response, agreed.record.version)
    return target_public(agreed)


def judgement_public(j, urn: str) -> dict:  # noqa: ANN001
    return {"id": j.id, "urn": urn, "academic_year": j.academic_year, "strand": j.strand,
            "partner_grade": j.partner_grade, "self_grade": j.self_grade, "notes": j.notes, "version": j.version,
            "updated_at": j.updated_at, "updated_by": j.updated_by}


@router.get("/schools/{urn}/review-judgements", response_model=list[ReviewJudgementPublic],
            responses=problem_responses(404))
def list_review_judgements(school: SchoolFromPath, session: SessionDep, by: CurrentPrincipal,
                           academic_year: Annotated[AcademicYear | None,
                                                    Query(json_schema_extra=no_null)] = None) -> list[dict]:
    """A school's review judgements, newest year first, strand by strand."""
    return [judgement_public(j, school.urn)
            for j in review_judgements.of_school(session, school, academic_year=academic_year, by=by)]


@router.post("/schools/{urn}/review-judgements", response_model=ReviewJudgementPublic,
             responses={**problem_responses(400, 403, 404), 201: {"description": "Recorded"}})
def record_review_judgement(school: SchoolFromPath, data: ReviewJudgementWrite, session: SessionDep,
                            by: CurrentPrincipal, response: Response) -> dict:
    """Record a school's grade on one strand for a year (201), or correct it (200)."""
    judgement, created = review_judgements.record(session, school, data, by=by)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    _tagged(response, judgement.version)
    return judgement_public(judgement, school.urn)
