from functions.shared.http.app import create_app, lambda_handler

app = create_app(
    "webhooks",
    # The platforms' webhooks first: every request is matched against the routes in order, and
    # theirs are the group's hot path (bench/webhooks_inbound.py).
    routers=(
        "functions.webhooks.routes.platform_hooks:router",
        "functions.webhooks.routes.event_types:router",
        "functions.webhooks.routes.endpoints:router",
        "functions.webhooks.routes.notifications:router",
        "functions.webhooks.routes.inbox_assistant:router",
        "functions.webhooks.routes.inbox:router",
        "functions.webhooks.routes.sandbox_hooks:router",
    ),
    webhook_routers=("functions.webhooks.routes.event_types:webhooks",),
)
handler = lambda_handler(app)
