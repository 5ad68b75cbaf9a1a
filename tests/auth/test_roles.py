"""Roles inside a workspace: who may change what (DESIGN section 3).

Viewer reads; editor writes content; admin manages accounts and members; owner also deletes the
workspace and alone grants or takes away ownership. A member lacking the role gets 403 and
nothing changes (OWASP API Security Top 10 (2023) API5, Broken Function Level Authorization;
OWASP ASVS 4.0.3 V4.1.3, least privilege). The last owner cannot leave or be demoted (409), so a
workspace never ends up without one; any member may leave.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts
from httpx import Response

from functions.shared.access import Role
from tests.support.auth_world import Account, Herald, emails_to, link_token, unique_email
from tests.support.snapshots import workspace_items

ROLES_LOW_TO_HIGH = (Role.VIEWER, Role.EDITOR, Role.ADMIN, Role.OWNER)
ONLY_OWNERS_TOUCH_OWNERS = "Only an owner can grant or remove the owner role."
LAST_OWNER_DEMOTED = (
    "This is the workspace's last owner: make another member owner first, or delete the workspace."
)
LAST_OWNER_LEAVING = (
    "You are the workspace's last owner: make another member owner first, or delete the workspace."
)


@dataclass
class Team:
    herald: Herald
    workspace_id: str
    members: dict[Role, Account]
    target: Account  # the other member that member-management calls act on

    @property
    def owner(self) -> Account:
        return self.members[Role.OWNER]

    @property
    def url(self) -> str:
        return f"/v1/workspaces/{self.workspace_id}"

    def as_owner(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        return call(self, self.owner, method, path, body)


def build_team(herald: Herald, roles: tuple[Role, ...], *, with_target: bool) -> Team:
    owner = herald.sign_up("owner")
    workspace_id = herald.create_workspace(owner)["id"]
    members = {Role.OWNER: owner}
    for role in roles:
        members[role] = herald.sign_up(role.value)
        herald.add_member(owner, workspace_id, members[role], role.value)
    target = herald.sign_up("target") if with_target else owner
    if with_target:
        herald.add_member(owner, workspace_id, target, Role.EDITOR.value)
    return Team(herald, workspace_id, members, target)


def call(team: Team, who: Account, method: str, path: str, body: Any = None) -> Response:
    response: Response = team.herald.client.request(
        method, team.url + path, json=body, headers=who.headers
    )
    return response


def problem(response: Response) -> tuple[int, object]:
    return response.status_code, response.json().get("detail")


# The matrix


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # after /v1/workspaces/{workspace_id}
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Action:
    route: tuple[str, str]
    least: Role  # the least role that may do it
    success: int
    prepare: Callable[[Team], Request]  # sets up what the call needs, as the owner
    # Whose refusal does not come from the route's permission but from the domain rule.
    refusal: str | None = None
    documented: str | None = None  # what the route's description says, if not the permission


def _target_is_editor(team: Team) -> Request:
    members = team.as_owner("GET", "/members").json()["items"]
    roles = {member["user_id"]: member["role"] for member in members}
    if team.target.user_id not in roles:
        team.herald.add_member(team.owner, team.workspace_id, team.target, Role.EDITOR.value)
    elif roles[team.target.user_id] != Role.EDITOR:
        changed = team.as_owner("PATCH", f"/members/{team.target.user_id}", {"role": "editor"})
        assert changed.status_code == 200, changed.text
    return Request("PATCH", f"/members/{team.target.user_id}", {"role": "viewer"})


def _removing_target(team: Team) -> Request:
    _target_is_editor(team)
    return Request("DELETE", f"/members/{team.target.user_id}")


def _an_invite(team: Team) -> Request:
    created = team.as_owner("POST", "/invites", {"email": unique_email("guest"), "role": "viewer"})
    assert created.status_code == 201, created.text
    return Request("DELETE", f"/invites/{created.json()['id']}")


def _an_api_key(team: Team) -> Request:
    created = team.as_owner("POST", "/api-keys", {"name": "Zapier", "scopes": ["posts:read"]})
    assert created.status_code == 201, created.text
    return Request("DELETE", f"/api-keys/{created.json()['id']}")


WS = "/v1/workspaces/{workspace_id}"

MATRIX: tuple[Action, ...] = (
    Action(("GET", WS), Role.VIEWER, 200, lambda _: Request("GET", "")),
    Action(("GET", f"{WS}/members"), Role.VIEWER, 200, lambda _: Request("GET", "/members")),
    Action(("GET", f"{WS}/activity"), Role.VIEWER, 200, lambda _: Request("GET", "/activity")),
    Action(("GET", f"{WS}/invites"), Role.ADMIN, 200, lambda _: Request("GET", "/invites")),
    Action(("GET", f"{WS}/api-keys"), Role.ADMIN, 200, lambda _: Request("GET", "/api-keys")),
    Action(("PATCH", WS), Role.ADMIN, 200, lambda _: Request("PATCH", "", {"name": "Acme Tea"})),
    Action(("POST", f"{WS}/default"), Role.VIEWER, 200, lambda _: Request("POST", "/default")),
    Action(("PATCH", f"{WS}/members/{{user_id}}"), Role.ADMIN, 200, _target_is_editor),
    Action(
        ("DELETE", f"{WS}/members/{{user_id}}"),
        Role.ADMIN,
        204,
        _removing_target,
        refusal="Only admins and owners can remove other members.",
        documented="Admins and owners remove members; any member may remove themselves (leave).",
    ),
    Action(
        ("POST", f"{WS}/invites"),
        Role.ADMIN,
        201,
        lambda _: Request("POST", "/invites", {"email": unique_email("new"), "role": "editor"}),
    ),
    Action(("DELETE", f"{WS}/invites/{{invite_id}}"), Role.ADMIN, 204, _an_invite),
    Action(
        ("POST", f"{WS}/api-keys"),
        Role.ADMIN,
        201,
        lambda _: Request("POST", "/api-keys", {"name": "Buffer", "scopes": ["posts:write"]}),
    ),
    Action(("DELETE", f"{WS}/api-keys/{{key_id}}"), Role.ADMIN, 204, _an_api_key),
    # Last: when the owner's turn comes, the workspace is gone.
    Action(("DELETE", WS), Role.OWNER, 204, lambda _: Request("DELETE", "")),
)


def test_each_route_documents_the_role_the_matrix_expects() -> None:
    """The OpenAPI description of each route states the least role it is tested against."""
    from functions.auth.app import app

    descriptions = {
        (method, route.path): getattr(route, "description", "")
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
    }

    for action in MATRIX:
        expected = action.documented or f"Requires the {action.least} role or above;"
        assert expected in descriptions[action.route], action.route


def test_each_role_can_do_exactly_what_its_rank_allows(herald: Herald) -> None:
    team = build_team(herald, (Role.ADMIN, Role.EDITOR, Role.VIEWER), with_target=True)
    failures: list[str] = []

    for role in ROLES_LOW_TO_HIGH:
        for action in MATRIX:
            request = action.prepare(team)
            before = workspace_items(team.workspace_id)
            response = call(team, team.members[role], request.method, request.path, request.body)
            where = f"{role} {' '.join(action.route)}"
            if role.at_least(action.least):
                if response.status_code != action.success:
                    failures.append(f"{where}: {response.status_code} {response.text}")
                continue
            refusal = action.refusal or (
                f"This needs the {action.least} role or above; yours is {role}."
            )
            if problem(response) != (403, refusal):
                failures.append(f"{where}: {response.status_code} {response.text}")
            elif workspace_items(team.workspace_id) != before:
                failures.append(f"{where}: refused, but the workspace changed")

    assert failures == [], "\n".join(failures)
    gone = call(team, team.owner, "GET", "")
    assert problem(gone) == (404, f"Workspace {team.workspace_id} was not found.")


# The owner rules


def test_only_owners_touch_ownership_and_the_last_owner_stays(herald: Herald) -> None:
    team = build_team(herald, (Role.ADMIN,), with_target=False)
    owner, admin = team.owner, team.members[Role.ADMIN]
    before = workspace_items(team.workspace_id)

    # An admin can neither grant ownership (not even to themselves) nor take it away.
    refusals = [
        call(team, admin, "PATCH", f"/members/{admin.user_id}", {"role": "owner"}),
        call(team, admin, "PATCH", f"/members/{owner.user_id}", {"role": "admin"}),
        call(team, admin, "DELETE", f"/members/{owner.user_id}"),
    ]
    invite = call(team, admin, "POST", "/invites", {"email": unique_email(), "role": "owner"})
    # The last owner can neither step down nor leave.
    demoted = call(team, owner, "PATCH", f"/members/{owner.user_id}", {"role": "admin"})
    left = call(team, owner, "DELETE", f"/members/{owner.user_id}")

    assert [problem(response) for response in refusals] == [(403, ONLY_OWNERS_TOUCH_OWNERS)] * 3
    assert problem(invite) == (403, "Only an owner can invite another owner.")
    assert problem(demoted) == (409, LAST_OWNER_DEMOTED)
    assert problem(left) == (409, LAST_OWNER_LEAVING)
    assert workspace_items(team.workspace_id) == before

    # With a second owner, the first may step down; the second is then the last and stays.
    promoted = call(team, owner, "PATCH", f"/members/{admin.user_id}", {"role": "owner"})
    stepped_down = call(team, owner, "PATCH", f"/members/{owner.user_id}", {"role": "admin"})
    assert (promoted.status_code, promoted.json()["role"]) == (200, "owner")
    assert (stepped_down.status_code, stepped_down.json()["role"]) == (200, "admin")
    new_owner = admin
    assert problem(
        call(team, new_owner, "PATCH", f"/members/{new_owner.user_id}", {"role": "editor"})
    ) == (409, LAST_OWNER_DEMOTED)
    assert problem(call(team, new_owner, "DELETE", f"/members/{new_owner.user_id}")) == (
        409,
        LAST_OWNER_LEAVING,
    )
    assert problem(call(team, owner, "DELETE", f"/members/{new_owner.user_id}")) == (
        403,
        ONLY_OWNERS_TOUCH_OWNERS,
    )

    # An owner who is not the last one may leave.
    regranted = call(team, new_owner, "PATCH", f"/members/{owner.user_id}", {"role": "owner"})
    assert regranted.status_code == 200, regranted.text
    assert call(team, owner, "DELETE", f"/members/{owner.user_id}").status_code == 204
    members = call(team, new_owner, "GET", "/members").json()["items"]
    assert [(m["user_id"], m["role"]) for m in members] == [(new_owner.user_id, "owner")]


def test_any_member_can_leave(herald: Herald) -> None:
    team = build_team(herald, (Role.ADMIN, Role.EDITOR, Role.VIEWER), with_target=False)

    for role in (Role.VIEWER, Role.EDITOR, Role.ADMIN):
        member = team.members[role]
        left = call(team, member, "DELETE", f"/members/{member.user_id}")

        assert left.status_code == 204, f"{role}: {left.text}"
        assert problem(call(team, member, "GET", "")) == (
            404,
            f"Workspace {team.workspace_id} was not found.",
        )
        listed = herald.client.get("/v1/workspaces", headers=member.headers).json()["items"]
        assert listed == [], role

    members = team.as_owner("GET", "/members").json()["items"]
    assert [m["user_id"] for m in members] == [team.owner.user_id]
    actions = [entry["action"] for entry in team.as_owner("GET", "/activity").json()["items"]]
    assert actions[:3] == ["member.left"] * 3


def test_deleting_a_workspace_shuts_every_member_out_at_once(herald: Herald) -> None:
    team = build_team(herald, (Role.ADMIN, Role.VIEWER), with_target=False)
    key = team.as_owner("POST", "/api-keys", {"name": "CI", "scopes": ["workspace:read"]})
    invitee = unique_email("late")
    assert (
        team.as_owner("POST", "/invites", {"email": invitee, "role": "editor"}).status_code == 201
    )
    invite_token = link_token(emails_to(invitee)[-1])
    assert call(team, team.owner, "DELETE", "").status_code == 204

    gone = (404, f"Workspace {team.workspace_id} was not found.")
    for role, member in team.members.items():
        assert problem(call(team, member, "GET", "")) == gone, role
        assert problem(call(team, member, "GET", "/members")) == gone, role
        listed = herald.client.get("/v1/workspaces", headers=member.headers).json()["items"]
        assert team.workspace_id not in [w["id"] for w in listed], role
    keyed = herald.client.get(team.url, headers={"Authorization": f"Bearer {key.json()['key']}"})
    assert problem(keyed) == (401, "The API key is not valid; it may have been revoked.")
    herald.register(invitee)
    herald.verify(invitee)
    late = herald.login(invitee)
    accepted = herald.client.post(f"/v1/invites/{invite_token}/accept", headers=late.headers)
    assert problem(accepted) == (
        404,
        "This invitation is invalid, was withdrawn or was already used.",
    )
