"""Replying to, hiding, unhiding and deleting inbox items on their platforms, exactly once, and
the bulk forms of the inbox's actions.

The platform call runs in the publish group's engagement function (it holds the tokens),
invoked synchronously. Around it:
1. The action is claimed first: a conditional put of `INBOXACTION#<item>#<action key>`. The key
   is the request's `Idempotency-Key` when it has one; otherwise a reply's text (the same reply
   to the same comment is the same action) or, for moderation, the item's version (hiding an
   item twice in a row is one action). A request whose claim exists answers what the first
   one kept, and never calls the platform: 409 while it runs, or when its outcome is unknown.
2. Its answer is recorded in one transaction with the claim (`done`, the answer kept): a reply
   becomes an inbox item of kind `reply` by the account (with its uniqueness guard, so the
   platform's webhook for it adds nothing), and the item becomes `replied`, `hidden`, visible
   again or `deleted`.
3. When the platform refused, or nothing was sent, the claim is released so that the user may
   try again; when the call may have reached the platform without an answer reaching Herald,
   the claim stays `unconfirmed` and no retry calls the platform again.
"""

import hashlib
import json
from datetime import timedelta
from http import HTTPStatus

from pynamodb.exceptions import PutError, TransactWriteError
from ulid import ULID

from functions.shared.access import Role, WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.engagement import Engagement
from functions.shared.engagement_calls import EngagementAction, EngagementAnswer, EngagementCall
from functions.shared.problems import (
    Conflict,
    FieldError,
    Forbidden,
    Problem,
    ServiceUnavailable,
    ValidationFailed,
)
from functions.shared.tables import condition_failed, transaction, utc_now
from functions.webhooks.adapters import engagement_function
from functions.webhooks.adapters.inbox_items import InboxActionItem, InboxItem, InboxKeyItem
from functions.webhooks.domain.inbox import (
    change_item,
    check_member,
    entry_view,
    find_item,
    mark,
    update_item,
)
from functions.webhooks.domain.inbox_models import (
    BulkOutcome,
    BulkRequest,
    BulkResult,
    InboxActionResult,
    InboxEntry,
    InboxUpdate,
)

# How long an action's answer is kept for retries (and an unknown outcome blocks them).
ACTION_RETENTION = timedelta(days=7)
# The status each action leads to, and the statuses in which it is already done.
_DONE_IN = {"hide": ("hidden",), "delete": ("deleted",)}


class PlatformCannot(Problem):
    """422: the platform offers no way to do this (its name is in the detail)."""

    status = HTTPStatus.UNPROCESSABLE_CONTENT
    type = "urn:herald:problem:not-supported"


class PlatformRefused(Problem):
    status = HTTPStatus.UNPROCESSABLE_CONTENT
    type = "urn:herald:problem:platform-refused"


class OutcomeUnknown(Problem):
    """502: the platform may have done it; Herald will not try again by itself."""

    status = HTTPStatus.BAD_GATEWAY
    type = "urn:herald:problem:outcome-unknown"


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:40]


def _action_key(
    item: InboxItem, action: EngagementAction, text: str | None, idempotency_key: str | None
) -> str:
    if idempotency_key is not None:
        return "K" + _digest(idempotency_key)
    if action == "reply":
        return "R" + _digest(text)
    return f"{action.upper()}{int(item.version or 0)}"


def _kept(claim: InboxActionItem, request_digest: str) -> InboxActionResult:
    if claim.request_digest != request_digest:
        raise ValidationFailed(
            "This Idempotency-Key was used for a different request; use a new key.",
            errors=[
                FieldError(
                    pointer="/header/Idempotency-Key",
                    detail="Already used for another request.",
                    code="idempotency_key_reused",
                )
            ],
        )
    if claim.state == "done":
        return InboxActionResult.model_validate(claim.result)
    if claim.state == "unconfirmed":
        raise Conflict(
            "The platform may already have done this, but did not confirm it; check the item "
            "on the platform. Herald will not send it again."
        )
    raise Conflict("This action is being carried out; retry in a few seconds.")


def _claim(
    workspace_id: str, item: InboxItem, action: EngagementAction, action_key: str, digest: str
) -> InboxActionItem | InboxActionResult:
    """The new claim, or the answer the first request with this action key kept."""
    claim = InboxActionItem(
        *InboxActionItem.keys(workspace_id, item.item_id, action_key),
        workspace_id=workspace_id,
        item_id=item.item_id,
        action=action,
        request_digest=digest,
        expires_at=utc_now() + ACTION_RETENTION,
    )
    try:
        claim.save(condition=InboxActionItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        kept = InboxActionItem.find(workspace_id, item.item_id, action_key)
        if kept is None:  # expired just now
            raise Conflict("This action is being carried out; retry in a few seconds.") from None
        return _kept(kept, digest)
    return claim


def _release(claim: InboxActionItem) -> None:
    claim.delete()


def _unconfirmed(claim: InboxActionItem) -> None:
    claim.state = "unconfirmed"
    claim.save()


def _fail(claim: InboxActionItem, answer: EngagementAnswer, action: str) -> Problem:
    """The problem to answer for a failed call, after releasing or keeping the claim."""
    if answer.outcome == "retry_later" and answer.maybe_sent:
        _unconfirmed(claim)
        return OutcomeUnknown(
            f"{answer.platform} did not confirm the {action}; it may have happened. Check the "
            "item on the platform: Herald will not send it again."
        )
    _release(claim)
    if answer.outcome == "not_supported":
        return PlatformCannot(f"{answer.platform} does not allow this: {answer.message}")
    if answer.outcome == "refused":
        return PlatformRefused(f"{answer.platform} refused the {action}: {answer.message}")
    if answer.outcome == "reconnect":
        return Conflict(f"The {answer.platform} account needs reconnecting: {answer.message}")
    retry_after = int(answer.retry_after or 30)
    return ServiceUnavailable(
        f"{answer.platform} is not answering ({answer.message}); try again later.",
        headers={"Retry-After": str(max(1, retry_after))},
    )


def _reply_item(item: InboxItem, reply: Engagement) -> InboxItem | None:
    """The reply as an inbox item; None when Herald already has it (its webhook came first)."""
    if InboxKeyItem.find(item.workspace_id, reply.platform, reply.platform_item_id) is not None:
        return None
    now = utc_now()
    return InboxItem.of_engagement(
        item.workspace_id,
        item.account_id,
        reply,
        item_id=str(ULID.from_datetime(now)),
        received_at=now,
        status="read",  # the workspace's own words need no attention
        post_id=item.post_id,
        target_id=item.target_id,
    )


def _apply(item: InboxItem, action: EngagementAction) -> None:
    if action == "reply":
        if item.status in ("new", "read"):
            item.status = "replied"
        item.reply_draft = item.reply_draft_at = None  # answered: the draft has had its day
    elif action == "hide":
        item.status_before_hiding = item.status
        item.status = "hidden"
    elif action == "unhide":
        item.status = item.status_before_hiding or "read"
        item.status_before_hiding = None
    else:
        item.status = "deleted"
    item.updated_at = utc_now()


def _record(
    workspace_id: str,
    actor: str,
    claim: InboxActionItem,
    item_id: str,
    action: EngagementAction,
    reply: Engagement | None,
) -> InboxActionResult:
    """The platform did it: keep the answer and change the inbox, in one transaction. The item
    is read again, and written whatever changed meanwhile: what the platform did stands."""
    for _ in range(3):
        item = find_item(workspace_id, item_id)
        reply_item = _reply_item(item, reply) if reply is not None else None
        _apply(item, action)
        result = InboxActionResult(
            item=entry_view(item), reply=entry_view(reply_item) if reply_item else None
        )
        claim.state = "done"
        claim.result = result.model_dump(mode="json")
        try:
            with transaction() as write:
                write.save(claim)
                write.save(item)
                if reply_item is not None:
                    write.save(reply_item, condition=InboxItem.pk.does_not_exist())
                    write.save(
                        InboxKeyItem(
                            *InboxKeyItem.keys(
                                workspace_id,
                                reply_item.platform,
                                reply_item.platform_item_id,
                            ),
                            item_id=reply_item.item_id,
                        ),
                        condition=InboxKeyItem.pk.does_not_exist(),
                    )
                write.save(
                    activity_entry(
                        workspace_id,
                        actor=actor,
                        action=f"inbox.{action}",
                        target=f"inbox_item:{item_id}",
                    )
                )
        except TransactWriteError as error:
            if not condition_failed(error):
                raise
            claim.refresh(consistent_read=True)
            claim.state, claim.result = "pending", None
            continue
        return result
    raise Conflict(f"Inbox item {item_id} keeps changing; reload it.")


def act(
    access: WorkspaceAccess,
    item_id: str,
    action: EngagementAction,
    *,
    text: str | None = None,
    idempotency_key: str | None = None,
) -> InboxActionResult:
    return act_as(
        access.workspace_id,
        access.actor,
        item_id,
        action,
        text=text,
        idempotency_key=idempotency_key,
    )


def act_as(
    workspace_id: str,
    actor: str,
    item_id: str,
    action: EngagementAction,
    *,
    text: str | None = None,
    idempotency_key: str | None = None,
) -> InboxActionResult:
    """The action on behalf of `actor` (a person, an API key, or the inbox assistant)."""
    item = find_item(workspace_id, item_id)
    digest = _digest(action, text)
    claimed = _claim(
        workspace_id, item, action, _action_key(item, action, text, idempotency_key), digest
    )
    if isinstance(claimed, InboxActionResult):
        return claimed
    if item.status == "deleted":
        _release(claimed)
        raise Conflict(f"Inbox item {item_id} was deleted; nothing more can be done with it.")
    already_done = item.status in _DONE_IN.get(action, ()) or (
        action == "unhide" and item.status != "hidden"
    )
    if already_done:
        claimed.state = "done"
        result = InboxActionResult(item=entry_view(item), reply=None)
        claimed.result = result.model_dump(mode="json")
        claimed.save()
        return result
    call = EngagementCall(
        workspace_id=workspace_id,
        account_id=item.account_id,
        action=action,
        # The publish group fills in the account's platform id: it holds the account.
        engagement=item.engagement(platform_account_id=""),
        text=text,
    )
    try:
        answer = engagement_function.invoke(call)
    except engagement_function.EngagementUnanswered:
        _unconfirmed(claimed)
        raise OutcomeUnknown(
            f"The {action} did not complete; it may have reached {item.platform}. Check the "
            "item on the platform: Herald will not send it again."
        ) from None
    if answer.outcome != "done":
        raise _fail(claimed, answer, action)
    return _record(workspace_id, actor, claimed, item_id, action, answer.reply)


def bulk(access: WorkspaceAccess, body: BulkRequest) -> BulkResult:
    """Each item on its own: one failing does not stop the others (its outcome says why)."""
    if len(set(body.item_ids)) != len(body.item_ids):
        raise ValidationFailed(
            "Each item may be named once.",
            errors=[
                FieldError(pointer="/body/item_ids", detail="Has duplicates.", code="duplicate")
            ],
        )
    if body.action == "hide" and access.role is not None and not access.role.at_least(Role.ADMIN):
        raise Forbidden(f"Hiding needs the admin role or above; yours is {access.role}.")
    if body.action == "assign":
        check_member(access, body.assignee, "/body/assignee")
    outcomes = []
    for item_id in body.item_ids:
        try:
            if body.action == "assign":
                entry = update_item(access, item_id, InboxUpdate(assignee=body.assignee))
            elif body.action == "hide":
                entry = act(access, item_id, "hide").item
            else:
                entry = mark(access, item_id, read=body.action == "read")
        except Problem as problem:
            outcomes.append(
                BulkOutcome(id=item_id, status=problem.status, detail=problem.detail, item=None)
            )
            continue
        outcomes.append(BulkOutcome(id=item_id, status=200, detail=None, item=entry))
    return BulkResult(results=outcomes)


def approve_draft(access: WorkspaceAccess, item_id: str) -> InboxActionResult:
    """The person sends the assistant's draft as it is (the reply action, exactly once)."""
    item = find_item(access.workspace_id, item_id)
    if item.reply_draft is None:
        raise Conflict(f"Inbox item {item_id} has no reply draft to approve.")
    return act(access, item_id, "reply", text=item.reply_draft)


def discard_draft(access: WorkspaceAccess, item_id: str) -> InboxEntry:
    find_item(access.workspace_id, item_id)

    def discard(item: InboxItem) -> None:
        item.reply_draft = item.reply_draft_at = None

    return entry_view(change_item(access.workspace_id, item_id, discard))
