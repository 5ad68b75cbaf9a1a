"""The identity happy path over HTTP: sign up, verify, sign in, a workspace shared by two."""

from tests.support.auth_world import Herald


def test_two_users_share_a_workspace_with_their_roles(herald: Herald) -> None:
    owner = herald.sign_up("owner")
    workspace = herald.create_workspace(owner)
    editor = herald.sign_up("editor")
    herald.add_member(owner, workspace["id"], editor, "editor")

    mine = herald.client.get("/v1/workspaces", headers=owner.headers).json()["items"]
    theirs = herald.client.get("/v1/workspaces", headers=editor.headers).json()["items"]

    assert [(w["id"], w["role"]) for w in mine] == [(workspace["id"], "owner")]
    assert [(w["id"], w["role"]) for w in theirs] == [(workspace["id"], "editor")]
