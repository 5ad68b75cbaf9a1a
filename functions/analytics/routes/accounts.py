"""The account report: follower and engagement trends of one social account."""

from typing import Annotated

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.account_report_models import AccountReport
from functions.analytics.routes.export import CSV_EXPORT, Export
from functions.analytics.routes.metrics import ANALYTICS_READ, AnalyticsReader, FromDay, ToDay
from functions.shared.access import ID_PATTERN

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

AccountId = Annotated[str, Path(pattern=ID_PATTERN, description="The social account.")]


@router.get(
    "/accounts/{account_id}",
    description=ANALYTICS_READ.description,
    response_model=AccountReport,
    responses=CSV_EXPORT,
)
async def get_account_metrics(
    access: AnalyticsReader,
    account_id: AccountId,
    from_day: FromDay,
    to_day: ToDay,
    export: Export,
) -> AccountReport | Response:
    """The account's followers day by day (days in the workspace's timezone, at most 366) with
    their growth over the period, and per publication day the posts it published and what they
    earned."""
    from functions.analytics.domain import account_reports

    return await export.respond(
        access,
        await run_in_threadpool(
            account_reports.account_report, access, account_id, from_day, to_day
        ),
    )
