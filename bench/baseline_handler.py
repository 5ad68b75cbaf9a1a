"""The baseline of the benchmarks: a bare FastAPI + Mangum Lambda handler, answering a health
check (bench/cold_start.py) and a platform webhook's request with 200 without reading it
(bench/webhooks_inbound.py, which also mounts `router` in a Herald group app)."""

from fastapi import APIRouter, FastAPI
from mangum import Mangum

router = APIRouter()


@router.get("/v1/baseline/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/v1/webhooks/platforms/meta")
async def receive_meta_webhook() -> dict[str, str]:
    return {"status": "ok"}


app = FastAPI()
app.include_router(router)
handler = Mangum(app, lifespan="off")
