from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_names(apps, schema_editor):
    """Existing participants are listed under their persons' current names."""
    Participant = apps.get_model("consult", "Participant")
    Person = apps.get_model("committees", "Person")
    person = Person.objects.filter(pk=OuterRef("person_id"))
    Participant.objects.update(
        name=Subquery(person.values("name")[:1]),
        organisation=Subquery(person.values("organisation")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("committees", "0001_initial"),
        ("consult", "0004_session_no_consensus_notice_round_sessions"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="name",
            field=models.CharField(
                default="", max_length=64, verbose_name="姓名（按名单）"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="participant",
            name="organisation",
            field=models.CharField(
                blank=True, max_length=128, verbose_name="工作单位或身份（按名单）"
            ),
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name="participant",
            options={
                "ordering": ["topic", "category", "name", "pk"],
                "verbose_name": "参与协商对象",
                "verbose_name_plural": "参与协商对象",
            },
        ),
    ]
