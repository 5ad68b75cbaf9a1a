"""A workspace for a benchmark, written straight to the table (no owner: nothing signs in).

Imported after `use_moto_environment()`, as any Herald module."""

from ulid import ULID

from functions.shared.identity_items import WorkspaceItem


def new_workspace() -> str:
    """A new workspace's id."""
    workspace_id = str(ULID())
    WorkspaceItem(
        *WorkspaceItem.keys(workspace_id),
        workspace_id=workspace_id,
        name="Bench",
        slug=f"bench-{workspace_id.lower()}",
        timezone="UTC",
        created_by="user:bench",
    ).save()
    return workspace_id
