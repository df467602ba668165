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
def archived(
    village, clerk, secretary, town_clerk, resident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        return walk_to_archive(
            village=village,
            clerk=clerk,
            secretary=secretary,
            town_clerk=town_clerk,
            resident=resident,
        )
