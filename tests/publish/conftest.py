"""The identity world (users, workspaces, members, API keys) serves the publish tests too."""

from tests.identity.conftest import cloud, herald, quick_uniform_answers

__all__ = ["cloud", "herald", "quick_uniform_answers"]
