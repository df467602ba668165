"""The scheduled jobs of topics, registered in ``TopicsConfig.ready()``.

``deadlines``: step reminders and escalations (``topics.step_*``);
``audit``: the daily and weekly verification of the audit chains
(``topics.audit_*``).
"""
