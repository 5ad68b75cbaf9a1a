"""Raw tracked events into Amazon Data Firehose, which delivers them to S3 partitioned by workspace
and day (infra/analytics_tracking.py): one newline-terminated JSON record per event.

PutRecordBatch accepts some records and refuses others (`FailedPutCount`); the refused ones are
sent again, a few times, before the batch is reported as failed.
"""

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from functions.shared import aws
from functions.shared.problems import ServiceUnavailable
from functions.shared.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_firehose.type_defs import RecordTypeDef

ATTEMPTS = 3


def encode(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def put(records: Sequence[dict[str, Any]]) -> None:
    pending: list[RecordTypeDef] = [{"Data": encode(record)} for record in records]
    stream = get_settings().analytics_stream_name
    for _ in range(ATTEMPTS):
        answer = aws.firehose().put_record_batch(DeliveryStreamName=stream, Records=pending)
        if not answer["FailedPutCount"]:
            return
        pending = [
            sent
            for sent, result in zip(pending, answer["RequestResponses"], strict=True)
            if "ErrorCode" in result
        ]
    raise ServiceUnavailable("Tracked events cannot be stored right now; send the batch again.")
