"""The audit-chain jobs live in topics/jobs/ and are named after topics.

Beat rows store the job name as the first argument of the runner task; a row
for the old name would otherwise run nothing (and be logged as unregistered)
while the sync created a second schedule for the new name.
"""

import json

from django.db import migrations

RENAMED = {
    "core.audit_daily": "topics.audit_daily",
    "core.audit_weekly": "topics.audit_weekly",
}


def _job_name(raw):
    try:
        args = json.loads(raw or "[]")
    except ValueError:
        return None
    if isinstance(args, list) and args and isinstance(args[0], str):
        return args[0]
    return None


def _rename(apps, schema_editor, names):
    tasks = apps.get_model("django_celery_beat", "PeriodicTask").objects.using(
        schema_editor.connection.alias
    )
    rows = list(tasks.filter(args__contains="audit_").order_by("pk"))
    scheduled = {_job_name(row.args) for row in rows}
    for row in rows:
        old = _job_name(row.args)
        new = names.get(old)
        if new is None:
            continue
        if new in scheduled:
            # One schedule per job: a row already under the new name stays.
            row.delete()
            continue
        row.args = json.dumps([new, *json.loads(row.args)[1:]])
        row.save(update_fields=["args"])
        scheduled.add(new)


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("topics", "0003_topic_created_by_optional"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
