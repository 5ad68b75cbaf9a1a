from functions.publish.routes import accounts, posts, templates
from functions.shared.app_factory import create_app, lambda_handler

app = create_app("publish", accounts.router, posts.router, templates.router)
handler = lambda_handler(app)
