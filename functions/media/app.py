from functions.shared.http.app import create_app, lambda_handler

app = create_app(
    "media",
    # Jobs first: `/v1/media/jobs` must not be taken for an asset id by `/v1/media/{asset_id}`.
    routers=(
        "functions.media.routes.jobs:router",
        "functions.media.routes.library:router",
        "functions.media.routes.images:router",
        "functions.media.routes.generate:router",
    ),
)
handler = lambda_handler(app)
