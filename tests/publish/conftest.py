"""The publishing world's fixtures, for every test here (each defined beside its world)."""

from tests.publish.posts_world import march_2027
from tests.publish.studio import studio

__all__ = ["march_2027", "studio"]
