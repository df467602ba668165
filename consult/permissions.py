"""The one gate for consult: place roles (via the topic gate) plus participant
records.

A participant has no role on the place; what they may see and do comes from
their participant record on the topic, never from a widened place role.
Residents take part in an online consultation through their resident grant on
the topic's place.
"""

from committees import roles
from committees.models import Place, Role, RoleGrant
from committees.permissions import has_place_perm
from topics import permissions as topic_perm
from topics.states import State

from .models import Material, Participant, Session

_CACHE_ATTR = "_xst_participations"
# States in which a topic's public materials may be shown to anyone.
PUBLIC_STATES = frozenset(
    {
        State.PREPARING,
        State.CONSULTING,
        State.ADOPTING,
        State.FEEDBACK,
        State.ARCHIVED,
    }
)


def participations(user) -> dict[int, Participant]:
    """The user's participant records by topic id, read once per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = {
            p.topic_id: p
            for p in Participant.objects.filter(person__user=user).select_related(
                "person"
            )
        }
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_participations(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def participant_of(user, topic) -> Participant | None:
    return participations(user).get(topic.pk)


def can_run(user, topic) -> bool:
    """Plan, record and moderate: the clerks and secretaries of the place."""
    return has_place_perm(user, roles.RUN, topic.place_id)


def can_view(user, topic) -> bool:
    """See the plan, participants, notices, materials and sessions."""
    return topic_perm.can_view(user, topic) or participant_of(user, topic) is not None


def can_see_internal(user, topic) -> bool:
    """Delivery data of every participant and sign-in sheet photos (they show
    residents' names and signatures): the staff who see the topic through
    their place role, not a participant through their invitation."""
    return topic_perm.can_view(user, topic)


def can_download(user, material: Material) -> bool:
    topic = material.topic
    if can_view(user, topic):
        return True
    return material.is_public and topic.is_public and topic.state in PUBLIC_STATES


def can_give_pre_opinion(user, topic) -> bool:
    return can_run(user, topic) or participant_of(user, topic) is not None


def can_answer(user, session: Session) -> bool:
    """Answer a written consultation online: the participants themselves."""
    return session.is_written and participant_of(user, session.topic) is not None


def is_resident(user, topic) -> bool:
    """A resident or member of the topic's place, or of a village of a
    township topic's township."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    villages = Place.objects.filter(parent_id=topic.place_id).values_list(
        "pk", flat=True
    )
    return RoleGrant.objects.filter(
        user=user,
        place_id__in={topic.place_id, *villages},
        role__in=[Role.RESIDENT, Role.MEMBER],
    ).exists()


def can_comment(user, session: Session) -> bool:
    """Comment in an online consultation: residents of the place, participants."""
    if not session.is_online:
        return False
    topic = session.topic
    return participant_of(user, topic) is not None or is_resident(user, topic)


def can_see_session(user, session: Session) -> bool:
    return can_view(user, session.topic) or can_comment(user, session)
