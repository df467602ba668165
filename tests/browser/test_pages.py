"""The pages as people meet them, in Chromium at desktop and phone width."""

import pytest

from committees.models import Role
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll
from tests.factories import TopicFactory, VillageFactory, user_with_role
from topics.states import State

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_village_clerk_logs_in_and_reads_the_dashboard_without_sideways_scroll(
    open_page, viewport
):
    village = VillageFactory()
    clerk = user_with_role(Role.VILLAGE_CLERK, village)
    TopicFactory(place=village, state=State.DRAFT, title="修缮村文化活动室")
    page = open_page(clerk, viewport=viewport)
    assert "/accounts/login/" not in page.url
    assert page.locator("text=修缮村文化活动室").first.is_visible()
    assert no_horizontal_scroll(page)
