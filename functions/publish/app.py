from functions.publish.routes import accounts
from functions.shared.app_factory import create_app, lambda_handler

app = create_app("publish", accounts.router)
handler = lambda_handler(
    app, tasks={"refresh-tokens": "functions.publish.domain.refresher:refresh_due_tokens"}
)
