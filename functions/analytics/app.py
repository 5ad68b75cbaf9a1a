from functions.shared.http.app import create_app, lambda_handler

app = create_app("analytics")
handler = lambda_handler(app)
