"""The function groups and the API path prefixes each one owns.

One table shared by the CDK app (one proxy route per prefix) and the local server (one dispatcher
on one port), so that the two can never disagree about which function answers a path. A prefix
may lie under another group's (`/v1/media/generate` under `/v1/media`): API Gateway gives a path
to the most specific route that matches it, and so does `owner`.
"""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FunctionGroup:
    """`package`: the directory under functions/ holding the group's code (its name unless
    given), and `app_module` its app's module there: the generation group is the media code's
    generation app."""

    name: str
    prefixes: tuple[str, ...]
    package: str = ""
    app_module: str = "app"

    @property
    def code(self) -> str:
        """The directory under functions/ whose code (with functions/shared) the function runs."""
        return self.package or self.name

    @property
    def module(self) -> str:
        """Import path of the module holding the group's `app` and Lambda `handler`."""
        return f"functions.{self.code}.{self.app_module}"

    @property
    def handler(self) -> str:
        """Lambda handler string, relative to the root of the function's code bundle."""
        return f"{self.module}.handler"

    @property
    def health_path(self) -> str:
        return f"{self.prefixes[0]}/health"

    def prefix_for(self, path: str) -> str | None:
        """The longest of the group's prefixes that `path` is or lies under, if any."""
        matching = [p for p in self.prefixes if path == p or path.startswith(p + "/")]
        return max(matching, key=len, default=None)


GROUPS: tuple[FunctionGroup, ...] = (
    FunctionGroup("auth", ("/v1/auth", "/v1/me", "/v1/workspaces", "/v1/invites")),
    FunctionGroup(
        "publish", ("/v1/publish", "/v1/accounts", "/v1/posts", "/v1/templates", "/v1/ai")
    ),
    FunctionGroup("media", ("/v1/media",)),
    # Generated media: the media code with the openai layer and without FFmpeg, which would not
    # fit beside it in Lambda's 250 MiB (docs/ai.md).
    FunctionGroup(
        "generation", ("/v1/media/generate",), package="media", app_module="generation_app"
    ),
    FunctionGroup("webhooks", ("/v1/webhooks", "/v1/notifications", "/v1/inbox")),
    FunctionGroup("analytics", ("/v1/analytics", "/l")),
)


def owner(path: str, groups: Iterable[FunctionGroup] = GROUPS) -> FunctionGroup | None:
    """The group whose function API Gateway's proxy routes give `path`: of the groups with a
    prefix matching it, the one with the longest such prefix (the most specific route)."""
    best: tuple[int, FunctionGroup] | None = None
    for group in groups:
        prefix = group.prefix_for(path)
        if prefix is not None and (best is None or len(prefix) > best[0]):
            best = (len(prefix), group)
    return best[1] if best else None


def group_named(name: str) -> FunctionGroup:
    for group in GROUPS:
        if group.name == name:
            return group
    raise KeyError(name)


def code_packages() -> tuple[str, ...]:
    """The directories under functions/ that the groups' functions run, each once."""
    return tuple(dict.fromkeys(group.code for group in GROUPS))
