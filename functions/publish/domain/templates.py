"""Templates: reusable post content, listed by category, turned into drafts on use."""

from contextlib import AbstractContextManager

from ulid import ULID

from functions.publish.adapters.post_items import TemplateItem
from functions.publish.domain import posts
from functions.publish.domain.post_models import (
    Post,
    PostContent,
    PostCreate,
    Template,
    TemplateCreate,
    TemplateUpdate,
)
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.pagination import PageRequest
from functions.shared.problems import NotFound
from functions.shared.tables import (
    conflict_on_condition_failure,
    key,
    query_page,
    transaction,
    utc_now,
)


def template_view(item: TemplateItem) -> Template:
    return Template(
        id=item.template_id,
        name=item.name,
        category=item.category,
        content=PostContent.model_validate(item.content),
        labels=sorted(item.labels or ()),
        created_by=item.created_by,
        created_at=item.created_at.isoformat(),
        updated_at=item.updated_at.isoformat(),
    )


def _find(workspace_id: str, template_id: str) -> TemplateItem:
    item = TemplateItem.find(workspace_id, template_id)
    if item is None:
        raise NotFound(f"Template {template_id} was not found.")
    return item


def _changed_meanwhile(template_id: str) -> AbstractContextManager[None]:
    return conflict_on_condition_failure(
        f"Template {template_id} changed meanwhile; reload it and retry."
    )


def _save(access: WorkspaceAccess, item: TemplateItem, action: str, *, new: bool) -> None:
    with _changed_meanwhile(item.template_id), transaction() as write:
        if new:
            write.save(item, condition=TemplateItem.pk.does_not_exist())
        else:
            write.save(item)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action=action,
                target=f"template:{item.template_id}",
            )
        )


def create_template(access: WorkspaceAccess, body: TemplateCreate) -> Template:
    posts.refuse_invalid_options(access.workspace_id, body.content.targets, "/body/content/targets")
    template_id = str(ULID())
    item = TemplateItem(
        *TemplateItem.keys(access.workspace_id, template_id),
        template_id=template_id,
        workspace_id=access.workspace_id,
        name=body.name,
        category=body.category,
        content=body.content.model_dump(mode="json"),
        labels=set(body.labels) or None,
        created_by=access.actor,
    )
    _save(access, item, "template.created", new=True)
    return template_view(item)


def get_template(access: WorkspaceAccess, template_id: str) -> Template:
    return template_view(_find(access.workspace_id, template_id))


def list_templates(
    access: WorkspaceAccess, page: PageRequest, category: str | None
) -> tuple[list[Template], str | None]:
    found, cursor = query_page(
        TemplateItem,
        key("WS", access.workspace_id),
        "TEMPLATE#",
        page,
        filter_condition=(TemplateItem.category == category) if category else None,
    )
    return [template_view(item) for item in found], cursor


def update_template(access: WorkspaceAccess, template_id: str, body: TemplateUpdate) -> Template:
    item = _find(access.workspace_id, template_id)
    if body.content is not None:
        posts.refuse_invalid_options(
            access.workspace_id, body.content.targets, "/body/content/targets"
        )
    if body.name is not None:
        item.name = body.name
    if body.category is not None:
        item.category = body.category
    if body.content is not None:
        item.content = body.content.model_dump(mode="json")
    if body.labels is not None:
        item.labels = set(body.labels) or None
    item.updated_at = utc_now()
    _save(access, item, "template.updated", new=False)
    return template_view(item)


def delete_template(access: WorkspaceAccess, template_id: str) -> None:
    item = _find(access.workspace_id, template_id)
    with _changed_meanwhile(template_id), transaction() as write:
        write.delete(item)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="template.deleted",
                target=f"template:{template_id}",
            )
        )


def use_template(access: WorkspaceAccess, template_id: str) -> Post:
    """A new draft with the template's content and labels."""
    item = _find(access.workspace_id, template_id)
    content = PostContent.model_validate(item.content)
    return posts.create_post(
        access,
        PostCreate(
            text=content.text,
            media=content.media,
            targets=content.targets,
            labels=sorted(item.labels or ()),
        ),
    )
