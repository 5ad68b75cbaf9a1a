from functions.shared.http.app import create_app, lambda_handler

app = create_app(
    "publish",
    routers=(
        "functions.publish.routes.accounts:router",
        "functions.publish.routes.posts:router",
        "functions.publish.routes.templates:router",
        "functions.publish.routes.ai:router",
        "functions.publish.routes.ai_chat:router",
    ),
)
handler = lambda_handler(app)
