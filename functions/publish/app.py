from functions.shared.app_factory import create_app
from functions.shared.observability import lambda_handler

app = create_app("publish")
handler = lambda_handler(app)
