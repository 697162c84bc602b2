"""/api/v1/collaboratives: collaboratives, rolling one forward a year, and proposing its triads."""

from fastapi import Response, status

from app.api.deps import CollaborativeFromPath, CollaborativeId, CurrentPrincipal, IfMatch
from app.api.problems import problem_responses
from app.api.triads import Cursor, IdFilter, Limit, URNFilter, YearFilter, list_filters, triad_public
from app.deps import SessionDep
from app.models.collaborative import (
    CollaborativeCreate,
    CollaborativePage,
    CollaborativePublic,
    CollaborativeUpdate,
    ProposalAccept,
    ProposalPublic,
    RollForward,
    RollForwardPublic,
    TriadBatch,
)
from app.routing import Router
from app.services import collaboratives, rollover, triad_composer, triads
from app.services.collaboratives import DEFAULT_LIMIT, Listed
from app.services.concurrency import etag

router = Router(prefix="/collaboratives", tags=["collaboratives and triads"])

_FIELDS = tuple(name for name in CollaborativePublic.model_fields if name not in ("lead_name", "schools"))

def collaborative_public(item: Listed) -> dict:
    """The fields of CollaborativePublic as plain values (FastAPI checks them against the model)."""
    public = {name: getattr(item.record, name) for name in _FIELDS}
    public["lead_name"] = item.lead_name
    public["schools"] = [{"urn": s.urn, "name": s.name} for s in item.schools]
    return public


@router.get("", response_model=CollaborativePage, responses=problem_responses(400))
def list_collaboratives(session: SessionDep, by: CurrentPrincipal, academic_year: YearFilter = None,
                        collaborative_id: IdFilter = None, urn: URNFilter = None, limit: Limit = DEFAULT_LIMIT,
                        cursor: Cursor = None) -> dict:
    """Page through the partnership's collaboratives, by academic year. Follow `next_cursor` until null."""
    found = list_filters(academic_year, collaborative_id, urn)
    result = collaboratives.page(session, found, limit=limit, cursor=cursor, by=by)
    return {"items": [collaborative_public(i) for i in result.items], "total": result.total,
            "limit": result.limit, "next_cursor": result.next_cursor}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CollaborativePublic,
             responses=problem_responses(400, 403, 409))
def create_collaborative(data: CollaborativeCreate, session: SessionDep, by: CurrentPrincipal,
                         response: Response) -> dict:
    """Set up a collaborative for a year: schools by URN, a lead headteacher (a member), a budget.

    A lead whose own school is below good at its latest inspection needs `lead_override_reason`."""
    collaborative = collaboratives.create(session, data, by=by)
    response.headers["ETag"] = etag(collaborative.version)
    response.headers["Location"] = f"/api/v1/collaboratives/{collaborative.id}"
    return collaborative_public(collaboratives.view(session, collaborative))


@router.get("/{collaborative_id}", response_model=CollaborativePublic, responses=problem_responses(404))
def get_collaborative(collaborative: CollaborativeFromPath, session: SessionDep, response: Response) -> dict:
    """One collaborative, with its ETag for later changes."""
    response.headers["ETag"] = etag(collaborative.version)
    return collaborative_public(collaboratives.view(session, collaborative))


@router.patch("/{collaborative_id}", response_model=CollaborativePublic,
              responses=problem_responses(400, 403, 404, 409, 412, 428))
def update_collaborative(collaborative_id: CollaborativeId, data: CollaborativeUpdate, session: SessionDep,
                         by: CurrentPrincipal, if_match: IfMatch, response: Response) -> dict:
    """Change some fields; `schools` replaces the members. Send `If-Match`."""
    collaborative = collaboratives.update(session, collaborative_id, data, if_match=if_match, by=by)
    response.headers["ETag"] = etag(collaborative.version)
    return collaborative_public(collaboratives.view(session, collaborative))


@router.delete("/{collaborative_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(403, 404, 409, 412, 428))
def delete_collaborative(collaborative_id: CollaborativeId, session: SessionDep, by: CurrentPrincipal,
                         if_match: IfMatch) -> None:
    """Remove a collaborative and its triads (409 once a triad has visit records). Send `If-Match`."""
    collaboratives.delete(session, collaborative_id, if_match=if_match, by=by)


@router.post("/{collaborative_id}/roll-forward", status_code=status.HTTP_201_CREATED,
             response_model=RollForwardPublic, responses=problem_responses(400, 403, 404, 409))
def roll_forward(collaborative_id: CollaborativeId, session: SessionDep, by: CurrentPrincipal, response: Response,
                 data: RollForward | None = None) -> dict:
    """Copy the collaborative, its open schools and its triads into the next academic year (409 if
    it is there already). `warnings` names what was left out."""
    result = rollover.roll_forward(session, collaborative_id, by=by,
                                   lead_override_reason=data.lead_override_reason if data else None)
    response.headers["ETag"] = etag(result.collaborative.version)
    response.headers["Location"] = f"/api/v1/collaboratives/{result.collaborative.id}"
    members = triads.members(session, [t.id for t in result.triads])
    return {"collaborative": collaborative_public(collaboratives.view(session, result.collaborative)),
            "triads": [triad_public(Listed(t, members[t.id])) for t in result.triads],
            "warnings": result.warnings}


@router.post("/{collaborative_id}/triad-proposals", response_model=ProposalPublic,
             responses=problem_responses(403, 404))
def propose_triads(collaborative_id: CollaborativeId, session: SessionDep, by: CurrentPrincipal) -> dict:
    """Propose triads for the collaborative's schools not yet in one this year; writes nothing.
    POST its `accept` (as it is, or edited) to `triad-proposals/accept` to create them."""
    proposal = triad_composer.propose(session, collaborative_id, by=by)
    groups = [{"name": g.name, "pairs_repeated": g.pairs_repeated, "has_good_or_better": g.has_good_or_better,
               "score": g.score, "explanation": g.explanation,
               "schools": [{"urn": c.urn, "name": c.name, "latest_headline": c.latest_headline,
                            "standing": c.standing.value, "fsm_percent": c.fsm_percent, "pupils": c.pupils}
                           for c in g.members]}
              for g in proposal.groups]
    return {"collaborative_id": proposal.collaborative.id, "academic_year": proposal.collaborative.academic_year,
            "triads": groups, "unplaced": [c.urn for c in proposal.unplaced],
            "already_in_triads": proposal.already_in_triads, "score": proposal.score,
            "explanation": proposal.explanation, "warnings": proposal.warnings,
            "accept": {"triads": [{"name": g.name, "schools": [c.urn for c in g.members]} for g in proposal.groups]}
            if proposal.groups else None}


@router.post("/{collaborative_id}/triad-proposals/accept", status_code=status.HTTP_201_CREATED,
             response_model=TriadBatch, responses=problem_responses(400, 403, 404, 409))
def accept_triads(collaborative: CollaborativeFromPath, data: ProposalAccept, session: SessionDep,
                  by: CurrentPrincipal) -> dict:
    """Create the triads of a proposal (its `accept`, edited or not) in one transaction: all or none.
    Errors name the triad and school, e.g. `triads.1.schools.2`."""
    made = triads.create_many(session, collaborative, data, by=by)
    members = triads.members(session, [t.id for t in made])
    return {"items": [triad_public(Listed(t, members[t.id])) for t in made]}
