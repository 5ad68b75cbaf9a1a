"""Endpoint signing secrets, sealed with KMS (functions/shared/sealing.py) in the table.

The encryption context names the workspace and the endpoint, so a sealed secret copied onto
another endpoint cannot be opened.
"""

from functions.shared import sealing


def _context(workspace_id: str, endpoint_id: str) -> dict[str, str]:
    return {"workspace_id": workspace_id, "webhook_endpoint_id": endpoint_id}


def seal(secret: str, *, workspace_id: str, endpoint_id: str) -> str:
    return sealing.seal(secret.encode(), _context(workspace_id, endpoint_id))


def unseal(sealed: str, *, workspace_id: str, endpoint_id: str) -> str:
    return sealing.unseal(sealed, _context(workspace_id, endpoint_id)).decode()
