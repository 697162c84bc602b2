"""What the visit tests share: triads built straight from their rows (the triads service is not
needed to test visits), and people acting in one of the four roles."""

import itertools
from dataclasses import dataclass

from sqlmodel import Session

from app.db import all_tenants
from app.models.account import Role
from app.models.collaborative import Collaborative, Triad, TriadSchool
from app.models.partnership import Partnership
from app.models.school import School
from app.services import accounts
from app.services.principal import Principal
from tests import factories

YEAR = "2025/26"
_seq = itertools.count(1)


def collaborative(session: Session, partnership: Partnership, *, year: str = YEAR) -> Collaborative:
    with all_tenants(session):
        row = Collaborative(partnership_id=partnership.id, name=f"Collaborative {next(_seq)}", phase="primary",
                            academic_year=year)
        session.add(row)
        session.flush()
    return row


def triad(session: Session, group: Collaborative, schools: list[School]) -> Triad:
    """A triad of `schools` in the collaborative `group`, for the collaborative's year."""
    with all_tenants(session):
        row = Triad(partnership_id=group.partnership_id, name=f"Triad {next(_seq)}", collaborative_id=group.id,
                    academic_year=group.academic_year)
        session.add(row)
        session.flush()
        for school in schools:
            session.add(TriadSchool(partnership_id=group.partnership_id, triad_id=row.id, school_id=school.id,
                                    academic_year=group.academic_year))
        session.flush()
    return row


def person(session: Session, partnership: Partnership, name: str, *grants: tuple[str, str, int | None]) -> Principal:
    """A real account holding `grants` (role, scope kind, scope id), acting as it would signed in."""
    user = factories.make_user(session, name=name)
    for role, kind, scope_id in grants:
        accounts.grant(session, user, partnership, role, scope_kind=kind, scope_id=scope_id)
    return accounts.principal_for(session, user, partnership.id)


def officer(partnership: Partnership) -> Principal:
    return accounts.operator(partnership)


def viewer(session: Session, partnership: Partnership) -> Principal:
    return person(session, partnership, "Vera Viewer", (Role.viewer.value, "partnership", None))


def head(session: Session, partnership: Partnership, *schools: School) -> Principal:
    return person(session, partnership, "Hana Head", *((Role.headteacher.value, "school", s.id) for s in schools))


def lead(session: Session, partnership: Partnership, group: Collaborative, *headed: School) -> Principal:
    """The collaborative's lead headteacher (and, if `headed`, the headteacher of those schools)."""
    return person(session, partnership, "Leo Lead", (Role.lead_headteacher.value, "collaborative", group.id),
                  *((Role.headteacher.value, "school", s.id) for s in headed))


@dataclass
class Network:
    """Two collaboratives of our partnership, a triad in each, and a support partner's visit."""

    north: Collaborative
    south: Collaborative
    north_triad: Triad
    south_triad: Triad
    alder: School  # the world's school, in the north triad
    ash: School  # north triad
    beech: School  # north triad
    cedar: School  # south triad
    elm: School  # south triad
    oak: School  # in no triad


def network(session: Session, world: factories.World) -> Network:
    ours = world.ours
    ash, beech, cedar, elm, oak = (factories.make_school(session, ours, name=f"{n} Primary School")
                                   for n in ("Ash", "Beech", "Cedar", "Elm", "Oak"))
    north, south = collaborative(session, ours), collaborative(session, ours)
    return Network(north, south, triad(session, north, [world.our_school, ash, beech]),
                   triad(session, south, [cedar, elm]), world.our_school, ash, beech, cedar, elm, oak)
