"""The function groups and the API path prefixes each one owns.

One table shared by the CDK app (one proxy route per prefix) and the local server (one dispatcher
on one port), so that the two can never disagree about which function answers a path.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FunctionGroup:
    name: str
    prefixes: tuple[str, ...]

    @property
    def handler(self) -> str:
        """Lambda handler string, relative to the root of the function's code bundle."""
        return f"functions.{self.name}.app.handler"

    @property
    def health_path(self) -> str:
        return f"/v1/{self.name}/health"

    def owns(self, path: str) -> bool:
        """Whether API Gateway's proxy routes for this group's prefixes would receive `path`."""
        return any(path == prefix or path.startswith(prefix + "/") for prefix in self.prefixes)


GROUPS: tuple[FunctionGroup, ...] = (
    FunctionGroup("auth", ("/v1/auth", "/v1/me", "/v1/workspaces", "/v1/invites")),
    FunctionGroup(
        "publish", ("/v1/publish", "/v1/accounts", "/v1/posts", "/v1/templates", "/v1/ai")
    ),
    FunctionGroup("media", ("/v1/media",)),
    FunctionGroup("webhooks", ("/v1/webhooks", "/v1/notifications", "/v1/inbox")),
    FunctionGroup("analytics", ("/v1/analytics", "/l")),
)


def group_named(name: str) -> FunctionGroup:
    for group in GROUPS:
        if group.name == name:
            return group
    raise KeyError(name)
