"""make run: links in messages are absolute, due jobs run at start (issue 6: 13, 15)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from committees.models import Role
from notifications.channels.email import absolute_link, notification_email
from notifications.channels.sms import notification_text
from notifications.models import Kind, Notification
from tests.factories import TopicFactory, user_with_role
from topics.states import State

pytestmark = pytest.mark.django_db

COMMAND = "demo.management.commands.run_local"


def run_local(*args):
    with (
        mock.patch(f"{COMMAND}.subprocess.Popen") as popen,
        mock.patch(f"{COMMAND}.call_command") as runserver,
    ):
        call_command("run_local", *args)
    return popen, runserver


def test_run_local_fills_in_the_site_url_for_itself_and_its_children(settings):
    settings.XST_SITE_URL = ""

    popen, runserver = run_local()

    assert settings.XST_SITE_URL == "http://127.0.0.1:8000"
    runserver.assert_called_once_with("runserver", "127.0.0.1:8000", use_reloader=False)
    for call in popen.call_args_list:
        assert call.kwargs["env"]["XST_SITE_URL"] == "http://127.0.0.1:8000"


def test_run_local_follows_its_address_and_keeps_a_configured_url(settings):
    settings.XST_SITE_URL = ""
    run_local("0.0.0.0:9000")
    assert settings.XST_SITE_URL == "http://0.0.0.0:9000"

    settings.XST_SITE_URL = "https://xst.example.cn"
    run_local("8001")
    assert settings.XST_SITE_URL == "https://xst.example.cn"


def test_links_in_email_and_sms_are_absolute_under_make_run(settings):
    settings.XST_SITE_URL = ""
    run_local()
    notification = Notification(
        key="x", kind=Kind.REMINDER, subject="提醒", body="正文", link="/topics/3/"
    )

    email = notification_email(notification, to="a@example.cn", message_id="<a@b>")

    assert "http://127.0.0.1:8000/topics/3/" in email.body
    assert "http://127.0.0.1:8000/topics/3/" in notification_text(notification)
    assert absolute_link("https://other.example/x") == "https://other.example/x"


def test_run_local_runs_the_due_reminders_before_serving(settings):
    topic = TopicFactory(
        state=State.PREPARING,
        state_changed_at=timezone.now() - timedelta(days=19),
        step_due_at=timezone.now() + timedelta(hours=5),
    )
    user_with_role(Role.VILLAGE_CLERK, topic.place)

    run_local()

    assert Notification.objects.filter(kind=Kind.REMINDER, about_id=topic.pk).exists()
