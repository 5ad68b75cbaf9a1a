from functions.analytics.routes.tracking_cors import TrackingCorsMiddleware
from functions.shared.http.app import create_app, lambda_handler

app = create_app(
    "analytics",
    routers=(
        "functions.analytics.routes.keys:router",
        "functions.analytics.routes.events:router",
        "functions.analytics.routes.reports:router",
        "functions.analytics.routes.links:router",
        "functions.analytics.routes.links:redirects",
        "functions.analytics.routes.metrics:router",
        "functions.analytics.routes.engagement:router",
        "functions.analytics.routes.accounts:router",
    ),
)
# Outermost: a web page's preflight for event ingestion is answered before the dashboard's CORS.
app.add_middleware(TrackingCorsMiddleware)
handler = lambda_handler(app)
