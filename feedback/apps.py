from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("成果落实与反馈")

    def ready(self) -> None:
        from core.audit import register_verbs
        from core.chain_records import register_record
        from topics.pages import register_step_page
        from topics.states import Step

        from . import dossier, evidence, jobs, models

        dossier.register()

        evidence.register()
        for model, subject in (
            (models.Compilation, "topic_id"),
            (models.Disposition, "topic_id"),
            (models.Explanation, "disposition__topic_id"),
            (models.Decision, "topic_id"),
            (models.VoteMark, "topic_id"),
            (models.Vote, "topic_id"),
            (models.Task, "topic_id"),
            (models.ProgressReport, "task__topic_id"),
            (models.SupervisionNote, "task__topic_id"),
            (models.PublicNotice, "topic_id"),
            (models.NoticeResponse, "notice__topic_id"),
            (models.Attachment, "topic_id"),
            (models.Bulletin, "topic_id"),
            (models.Note, "topic_id"),
        ):
            register_record(model, subject=subject)
        jobs.register()
        register_step_page(Step.ADOPT, "feedback:adopt", _("意见采纳、决策与表决"))
        register_step_page(Step.FEEDBACK, "feedback:implement", _("落实、公示与通报"))
        register_verbs(
            {
                "disposition_set": _("登记意见采纳情况"),
                "compilation_save": _("意见整理汇总"),
                "explanation_add": _("登记沟通解释"),
                "decision_record": _("登记班子联席会议决策"),
                "attachment_add": _("上传附件"),
                "vote_mark": _("标记需要法定会议表决"),
                "vote_record": _("登记法定会议表决"),
                "task_create": _("分解落实任务"),
                "task_close": _("终止落实任务"),
                "task_done": _("落实任务完成"),
                "progress_report": _("报告落实进展"),
                "supervision_note_add": _("跟踪督办"),
                "notice_create": _("创建公示"),
                "notice_publish": _("发布公示"),
                "notice_end": _("公示期满"),
                "notice_withdraw": _("撤回公示"),
                "notice_cover_progress": _("标记公示同时公示实施进展"),
                "response_submit": _("群众对公示提出意见"),
                "response_answer": _("答复公示意见"),
                "response_mark_spam": _("认定公示意见无效"),
                "bulletin_send": _("通报协商结果"),
                "note_append": _("追加说明"),
                "vote_category_save": _("修改需表决的议题类别"),
                "vote_category_delete": _("删除需表决的议题类别"),
                "meeting_rule_save": _("修改表决规则"),
                "meeting_rule_delete": _("删除表决规则"),
            }
        )
