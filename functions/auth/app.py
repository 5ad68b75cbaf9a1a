from functions.shared.app_factory import create_app, lambda_handler

app = create_app("auth")
handler = lambda_handler(app)
