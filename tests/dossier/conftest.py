import pytest

from tests.feedback.conftest import (  # noqa: F401  (shared fixtures)
    _media,
    adopting,
    clerk,
    opinions,
    outsider,
    resident,
    secretary,
    town_clerk,
    town_secretary,
    township,
    village,
)
from tests.feedback.helpers import walk_to_archive


@pytest.fixture
def archived(  # noqa: F811  (the shared fixtures, by name)
    village,  # noqa: F811
    clerk,  # noqa: F811
    secretary,  # noqa: F811
    town_clerk,  # noqa: F811
    resident,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        return walk_to_archive(
            village=village,
            clerk=clerk,
            secretary=secretary,
            town_clerk=town_clerk,
            resident=resident,
        )
