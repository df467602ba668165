from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultConfig(AppConfig):
    name = "consult"
    verbose_name = _("协商准备与开展")

    def ready(self) -> None:
        from core.audit import register_verbs
        from core.chain_records import register_record
        from topics.evidence import provide
        from topics.pages import register_step_page
        from topics.states import Step

        from . import dossier, evidence, jobs, models

        dossier.register()

        provide(
            "prepare.plan", check_many=evidence.has_plan, url_name="consult:prepare"
        )
        provide(
            "prepare.participants",
            check_many=evidence.has_participants,
            describe_many=evidence.participants_lacking,
            url_name="consult:prepare",
        )
        provide(
            "prepare.notices",
            check_many=evidence.has_notices,
            url_name="consult:prepare",
        )
        provide(
            "prepare.materials",
            check_many=evidence.has_materials,
            url_name="consult:prepare",
        )
        provide(
            "consult.session",
            check_many=evidence.has_session,
            url_name="consult:sessions",
        )
        register_step_page(
            Step.PREPARE, "consult:prepare", _("协商准备：方案、名单、通知、资料")
        )
        register_step_page(Step.CONSULT, "consult:sessions", _("协商活动记录"))
        register_verbs(
            {
                "session_plan": _("安排协商活动"),
                "session_reschedule": _("调整协商活动"),
                "participants_gap_explain": _("说明名单缺少的界别"),
                "participant_add": _("加入参与对象"),
                "participant_remove": _("移出参与对象"),
                "notice_send": _("发送参会通知"),
                # Receipts are ``receipt_record`` now; older chains hold this.
                "notice_receipt": _("登记纸质通知签收"),
                "material_upload": _("上传议题资料"),
                "material_send": _("发送议题资料"),
                "opinion_add": _("记录协商意见"),
                "attendance_mark": _("登记签到"),
                "session_record": _("记录协商活动"),
                "photo_upload": _("上传签到表照片"),
                "written_request_send": _("发送书面征询"),
                "written_answer": _("书面征询答复"),
                "written_answer_replace": _("更新书面征询答复"),
                "session_close": _("结束书面或网上征询"),
                "online_comment": _("网上协商发言"),
                "opinion_hide": _("屏蔽网上发言"),
            }
        )
        jobs.register()
        # Plan rows are opened by the first session planned, unaudited; only
        # their explained gap is on the chain.
        register_record(models.Plan, subject="topic_id", needs_event=False)
        register_record(
            models.Participant,
            subject="topic_id",
            deleted_by={"participant_remove"},
        )
        register_record(models.Session, subject="topic_id")
        register_record(models.Attendance, subject="session__topic_id")
        register_record(models.Correction, subject="topic_id", json_field="after")
        register_record(models.Opinion, subject="topic_id")
        register_record(models.NoticeRound, subject="topic_id")
        register_record(
            models.MaterialVersion,
            subject="topic_id",
            aliases={"name": "original_name", "title": "material__title"},
        )
        register_record(
            models.SignInPhoto, subject="topic_id", aliases={"name": "original_name"}
        )
