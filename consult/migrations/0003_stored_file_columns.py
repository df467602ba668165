"""Materials and sign-in photos take the columns of core.uploads.StoredFile.

``original_name`` is renamed (not dropped and re-added), so every stored
file keeps its name, path and SHA-256.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consult", "0002_corrections_appended"),
    ]

    operations = [
        migrations.RenameField(
            model_name="materialversion", old_name="original_name", new_name="name"
        ),
        migrations.RenameField(
            model_name="signinphoto", old_name="original_name", new_name="name"
        ),
        migrations.AlterField(
            model_name="materialversion",
            name="name",
            field=models.CharField(max_length=200, verbose_name="文件名"),
        ),
        migrations.AlterField(
            model_name="signinphoto",
            name="name",
            field=models.CharField(max_length=200, verbose_name="文件名"),
        ),
    ]
