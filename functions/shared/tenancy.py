"""Which workspace a request acts in, from the `X-Workspace-Id` header.

This resolves and validates the workspace id only. Whether the principal belongs to that workspace
(and with which role) is decided by the identity group's membership records, layered on top.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from functions.shared.auth import Principal, require_principal

WORKSPACE_HEADER = "X-Workspace-Id"
# ULIDs in Crockford base32, the form of every Herald id.
ID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"


@dataclass(frozen=True, slots=True)
class WorkspaceRequest:
    principal: Principal
    workspace_id: str


async def require_workspace(
    principal: Annotated[Principal, Depends(require_principal)],
    workspace_id: Annotated[
        str,
        Header(
            alias=WORKSPACE_HEADER,
            pattern=ID_PATTERN,
            description="The workspace (brand) the request acts in.",
        ),
    ],
) -> WorkspaceRequest:
    return WorkspaceRequest(principal=principal, workspace_id=workspace_id)
