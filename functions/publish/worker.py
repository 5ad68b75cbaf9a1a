"""The publish worker's Lambda entry point: schedules, the publish API and EventBridge rules
invoke it with `{"herald": "<task>", ...}` (see tasks.py)."""

from functions.shared.app_factory import task_handler

handler = task_handler(
    {
        "publish-post": "functions.publish.tasks:publish_post",
        "publish-accounts": "functions.publish.tasks:publish_accounts",
        "advance-target": "functions.publish.tasks:advance_target",
        "sweep": "functions.publish.tasks:sweep",
        "refresh-tokens": "functions.publish.tasks:refresh_tokens",
    }
)
