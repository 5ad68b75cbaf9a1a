from functions.shared.http.app import create_app, lambda_handler

app = create_app("webhooks", routers=("functions.webhooks.routes.endpoints:router",))
handler = lambda_handler(app)
