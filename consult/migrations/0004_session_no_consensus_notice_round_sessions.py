from datetime import UTC

from django.db import migrations, models


def name_current_sessions(apps, schema_editor):
    """Rounds sent before rounds named their sessions: each named the topic's
    sessions as they stand, which keeps the evidence these topics had."""
    NoticeRound = apps.get_model("consult", "NoticeRound")
    Session = apps.get_model("consult", "Session")
    for notice in NoticeRound.objects.all():
        notice.sessions = [
            {
                "id": s.pk,
                "starts_at": s.starts_at.astimezone(UTC).isoformat(),
                "ends_at": s.ends_at.astimezone(UTC).isoformat(),
                "location": s.location,
            }
            for s in Session.objects.filter(topic_id=notice.topic_id)
        ]
        notice.save(update_fields=["sessions"])


class Migration(migrations.Migration):
    dependencies = [
        ("consult", "0003_stored_file_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="noticeround",
            name="sessions",
            field=models.JSONField(default=list, verbose_name="通知所列协商活动"),
        ),
        migrations.AddField(
            model_name="session",
            name="no_consensus",
            field=models.BooleanField(default=False, verbose_name="未达成共识"),
        ),
        migrations.RunPython(name_current_sessions, migrations.RunPython.noop),
    ]
