"""The baseline of bench/cold_start.py: a bare FastAPI + Mangum hello-world Lambda handler."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/v1/baseline/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


handler = Mangum(app, lifespan="off")
