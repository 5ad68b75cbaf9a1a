from functions.auth.routes import me, sessions, workspaces
from functions.shared.app_factory import create_app, lambda_handler

app = create_app("auth", sessions.router, me.router, workspaces.router, workspaces.invites_router)
handler = lambda_handler(app)
