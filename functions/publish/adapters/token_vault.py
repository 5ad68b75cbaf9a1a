"""Platform tokens, sealed with KMS (functions/shared/sealing.py) before they touch the table.

The encryption context names the workspace and the account, so a sealed token set copied onto
another account or workspace cannot be opened.
"""

import json
from dataclasses import asdict
from datetime import datetime

from functions.publish.adapters.platforms.base import TokenSet
from functions.shared import sealing


def _context(workspace_id: str, account_id: str) -> dict[str, str]:
    return {"workspace_id": workspace_id, "account_id": account_id}


def seal(tokens: TokenSet, *, workspace_id: str, account_id: str) -> str:
    plain = asdict(tokens) | {
        "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
        "scopes": list(tokens.scopes),
    }
    return sealing.seal(json.dumps(plain).encode(), _context(workspace_id, account_id))


def unseal(sealed: str, *, workspace_id: str, account_id: str) -> TokenSet:
    plain = json.loads(sealing.unseal(sealed, _context(workspace_id, account_id)))
    expires_at = plain.pop("expires_at")
    return TokenSet(
        access_token=plain["access_token"],
        refresh_token=plain["refresh_token"],
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        scopes=tuple(plain["scopes"]),
    )
