from functions.shared.http.app import create_app, lambda_handler

app = create_app(
    "auth",
    routers=(
        "functions.auth.routes.sessions:router",
        "functions.auth.routes.me:router",
        "functions.auth.routes.workspaces:router",
        "functions.auth.routes.workspaces:invites_router",
    ),
)
handler = lambda_handler(app)
