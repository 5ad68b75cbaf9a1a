"""What a publish attempt leaves for the next one (a YouTube upload session URI), sealed with KMS
(functions/shared/sealing.py) before it touches the table: such a URI lets its holder send the
upload's bytes, so it is kept like a credential.

The encryption context names the workspace, the post and the account, so sealed progress copied
onto another target cannot be opened.
"""

import json
from collections.abc import Mapping

from functions.shared import sealing


def _context(workspace_id: str, post_id: str, account_id: str) -> dict[str, str]:
    return {"workspace_id": workspace_id, "post_id": post_id, "account_id": account_id}


def seal(progress: Mapping[str, str], *, workspace_id: str, post_id: str, account_id: str) -> str:
    plain = json.dumps(dict(progress)).encode()
    return sealing.seal(plain, _context(workspace_id, post_id, account_id))


def unseal(sealed: str, *, workspace_id: str, post_id: str, account_id: str) -> dict[str, str]:
    plain = sealing.unseal(sealed, _context(workspace_id, post_id, account_id))
    opened: dict[str, str] = json.loads(plain)
    return opened
