from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, **kwargs) -> None:
    """A role's permission set changed in code: the place groups follow."""
    from .services import role_groups_sync

    role_groups_sync()


class CommitteesConfig(AppConfig):
    name = "committees"
    verbose_name = _("组织与人员")

    def ready(self) -> None:
        from core.audit import register_verbs

        register_verbs(
            {
                "place_update": _("修改地方"),
                "role_grant": _("授予角色"),
                "role_revoke": _("撤销角色"),
                "membership_add": _("加入平台名册"),
                "membership_update": _("修改平台名册"),
            }
        )
        # After every app's migrations (sender=self), so guardian's tables and
        # the new permission rows exist.
        post_migrate.connect(
            _sync_role_groups, sender=self, dispatch_uid="committees_role_groups"
        )
