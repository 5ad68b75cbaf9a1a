from functions.shared.app_factory import create_app, lambda_handler

app = create_app("webhooks")
handler = lambda_handler(app)
