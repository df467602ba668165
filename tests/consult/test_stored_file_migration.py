"""consult 0003 renames ``original_name`` to ``name``: a stored file keeps its
name, path and SHA-256 across the migration (and back)."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from consult.models import Material, MaterialVersion

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("consult", "0002_corrections_appended")
AFTER = ("consult", "0003_stored_file_columns")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def back_to_latest():
    """Later tests need every migration applied again, not only this one's."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_stored_file_keeps_its_name_path_and_hash(topic, back_to_latest):
    material = Material.objects.create(topic=topic, title="方案")
    version = MaterialVersion(
        material=material,
        topic=topic,
        number=1,
        name="方案.pdf",
        content_type="application/pdf",
        size=3,
        sha256="a" * 64,
    )
    version.file.save("x.pdf", ContentFile(b"%PD"), save=False)
    version.save()
    try:
        old = migrate(BEFORE).get_model("consult", "MaterialVersion")
        row = old.objects.values("original_name", "file", "sha256").get()
        assert row == {
            "original_name": "方案.pdf",
            "file": version.file.name,
            "sha256": "a" * 64,
        }
    finally:
        new = migrate(AFTER).get_model("consult", "MaterialVersion")
    row = new.objects.values("name", "file", "sha256").get()
    assert row == {"name": "方案.pdf", "file": version.file.name, "sha256": "a" * 64}
