from functions.shared.app_factory import create_app, lambda_handler

app = create_app("publish")
handler = lambda_handler(app)
