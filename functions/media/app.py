from functions.shared.http.app import create_app, lambda_handler

# `/v1/media/generate` is the generation group's (generation_app.py), as API Gateway routes it.
app = create_app(
    "media",
    # Jobs first: `/v1/media/jobs` must not be taken for an asset id by `/v1/media/{asset_id}`.
    routers=(
        "functions.media.routes.jobs:router",
        "functions.media.routes.library:router",
        "functions.media.routes.images:router",
    ),
)
handler = lambda_handler(app)
