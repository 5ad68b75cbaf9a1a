from functions.shared.http.app import create_app, lambda_handler

app = create_app("webhooks")
handler = lambda_handler(app)
