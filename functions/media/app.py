from functions.media.routes import images, jobs, library
from functions.shared.app_factory import create_app, lambda_handler

# Jobs first: `/v1/media/jobs` must not be taken for an asset id by `/v1/media/{asset_id}`.
app = create_app("media", jobs.router, library.router, images.router)
handler = lambda_handler(app)
