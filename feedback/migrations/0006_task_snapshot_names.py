from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_names(apps, schema_editor):
    """Existing tasks name their responsible persons as they are called now."""
    Task = apps.get_model("feedback", "Task")
    Person = apps.get_model("committees", "Person")
    Task.objects.update(
        responsible_name=Subquery(
            Person.objects.filter(pk=OuterRef("responsible_id")).values("name")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("committees", "0001_initial"),
        ("feedback", "0005_public_notice_covers_progress"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="responsible_name",
            field=models.CharField(
                default="", max_length=64, verbose_name="责任人姓名（按记录）"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop),
    ]
