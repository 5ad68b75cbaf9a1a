"""The signed-in user's own profile: name, time zone, locale, theme, notification preferences."""

from pynamodb.expressions.update import Action

from functions.auth.adapters.items import UserItem
from functions.auth.domain.models import NotificationPreferences, ProfileUpdate, User
from functions.shared.auth import UserPrincipal
from functions.shared.problems import InvalidToken
from functions.shared.storage import presign_download
from functions.shared.tables import conflict_on_condition_failure, utc_now


def user_view(user: UserItem) -> User:
    return User(
        id=user.user_id,
        email=user.email,
        email_verified=bool(user.email_verified),
        name=user.name,
        timezone=user.timezone,
        locale=user.locale,
        theme=user.theme,
        notifications=NotificationPreferences.model_validate(user.notifications or {}),
        avatar_url=presign_download(user.avatar_key) if user.avatar_key else None,
        default_workspace_id=user.default_workspace_id,
        created_at=user.created_at,
    )


def current_user(principal: UserPrincipal) -> UserItem:
    user = UserItem.find(principal.user_id)
    if user is None:
        raise InvalidToken("This account no longer exists.")
    return user


def get_profile(principal: UserPrincipal) -> User:
    return user_view(current_user(principal))


def update_profile(principal: UserPrincipal, update: ProfileUpdate) -> User:
    user = current_user(principal)
    changes = update.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        return user_view(user)
    actions: list[Action] = [UserItem.updated_at.set(utc_now())]
    if "notifications" in changes:
        # Preferences left out of the request keep their current values.
        changes["notifications"] = {**(user.notifications or {}), **changes["notifications"]}
    for field, value in changes.items():
        actions.append(getattr(UserItem, field).set(value))
    with conflict_on_condition_failure("Your profile changed meanwhile; reload and try again."):
        user.update(actions=actions)
    return user_view(user)
