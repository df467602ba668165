"""Beat rows name the job runner by its module: periodic.py became jobs.py."""

import json

from django.db import migrations

RUN_JOB = "notifications.jobs.run_job"
OLD_RUN_JOB = "notifications.periodic.run_job"


def _job_name(raw):
    try:
        args = json.loads(raw or "[]")
    except ValueError:
        return None
    if isinstance(args, list) and args and isinstance(args[0], str):
        return args[0]
    return None


def forwards(apps, schema_editor):
    """Old-name rows move to the new name; a job never keeps two schedules."""
    tasks = apps.get_model("django_celery_beat", "PeriodicTask").objects.using(
        schema_editor.connection.alias
    )
    scheduled = {
        _job_name(args)
        for args in tasks.filter(task=RUN_JOB).values_list("args", flat=True)
    }
    for row in tasks.filter(task=OLD_RUN_JOB).order_by("pk"):
        name = _job_name(row.args)
        if name is not None and name in scheduled:
            row.delete()
            continue
        row.task = RUN_JOB
        row.save(update_fields=["task"])
        scheduled.add(name)


def backwards(apps, schema_editor):
    tasks = apps.get_model("django_celery_beat", "PeriodicTask").objects.using(
        schema_editor.connection.alias
    )
    tasks.filter(task=RUN_JOB).update(task=OLD_RUN_JOB)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_notice_kinds_topic_approved_withdrawn"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
