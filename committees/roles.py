"""Which object permissions each role holds on its place (DOMAIN.md §1)."""

from django.db.models import Q

from .models import PlaceKind, Role

VIEW = "view_topics"
DRAFT = "draft_topics"
APPROVE = "approve_topics"
REVISE = "revise_topics"
RUN = "run_topics"
DECIDE = "decide_topics"
WITHDRAW = "withdraw_topics"
VIEW_VILLAGES = "view_village_topics"
WITHDRAW_VILLAGES = "withdraw_village_topics"
EXPORT = "export_dossiers"
ROSTERS = "manage_rosters"
ROLES = "manage_roles"

# The deputy does everything the secretary does except final approval and
# decisions; the secretary alone withdraws (DOMAIN.md §1, §4).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.TOWNSHIP_SECRETARY: frozenset(
        {
            VIEW,
            DRAFT,
            APPROVE,
            REVISE,
            RUN,
            DECIDE,
            WITHDRAW,
            VIEW_VILLAGES,
            WITHDRAW_VILLAGES,
        }
    ),
    Role.TOWNSHIP_DEPUTY: frozenset({VIEW, DRAFT, REVISE, RUN, VIEW_VILLAGES}),
    Role.TOWNSHIP_CLERK: frozenset({VIEW, DRAFT, RUN, VIEW_VILLAGES}),
    Role.VILLAGE_SECRETARY: frozenset(
        {VIEW, DRAFT, APPROVE, REVISE, RUN, DECIDE, WITHDRAW}
    ),
    Role.VILLAGE_CLERK: frozenset({VIEW, DRAFT, RUN}),
    Role.ADMINISTRATOR: frozenset({VIEW, VIEW_VILLAGES, EXPORT, ROSTERS, ROLES}),
    Role.MEMBER: frozenset(),
    Role.RESIDENT: frozenset(),
}

# The kind of place each role may be granted on.
ROLE_PLACE_KINDS: dict[str, frozenset[str]] = {
    Role.TOWNSHIP_SECRETARY: frozenset({PlaceKind.TOWNSHIP}),
    Role.TOWNSHIP_DEPUTY: frozenset({PlaceKind.TOWNSHIP}),
    Role.TOWNSHIP_CLERK: frozenset({PlaceKind.TOWNSHIP}),
    Role.VILLAGE_SECRETARY: frozenset({PlaceKind.VILLAGE}),
    Role.VILLAGE_CLERK: frozenset({PlaceKind.VILLAGE}),
    Role.ADMINISTRATOR: frozenset({PlaceKind.TOWNSHIP}),
    Role.MEMBER: frozenset({PlaceKind.TOWNSHIP, PlaceKind.VILLAGE}),
    Role.RESIDENT: frozenset({PlaceKind.TOWNSHIP, PlaceKind.VILLAGE}),
}


def group_name(place_code: str, role: str) -> str:
    return f"{place_code}:{role}"


def place_groups_q(prefix: str = "") -> Q:
    """Matches the (place, role) groups, which only the role services manage.

    ``prefix`` names the group relation when filtering another model (for
    example ``"groups__"`` on users).
    """
    query = Q()
    for role in ROLE_PERMISSIONS:
        query |= Q(**{f"{prefix}name__endswith": f":{role}"})
    return query
