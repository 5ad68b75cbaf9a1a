"""Lambda's DynamoDB stream event source mapping, for local mode and the tests.

moto records a table's stream but never runs the functions mapped to it. `StreamRelay` does what
the mapping does in AWS: it reads every shard of the stream in order (a child shard after its
parent), keeps the records its filter selects, hands them to the function in Lambda's stream
event shape, and, when the function reports failed records (ReportBatchItemFailures), starts
its next pass at the first of them. A function that raises has its whole batch read again on the
next pass. Unlike AWS there is no retry limit, no bisecting and no on-failure destination: a
record that keeps failing is tried again on every pass (docs/local-mode.md).
"""

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from moto.events.models import EventPattern

from infra.local.background import BackgroundLoop
from infra.local.provision import StreamMapping

logger = logging.getLogger(__name__)

StreamHandler = Callable[[dict[str, Any], Any], Any]


class StreamRelay:
    """Hands the records of `stream_arn` that match one of `filters` (all records when there
    are none) to `handler`.

    `streams` is a boto3 `dynamodbstreams` client. Thread-safe: one pass at a time.
    """

    def __init__(
        self,
        streams: Any,
        stream_arn: str,
        handler: StreamHandler,
        *,
        filters: Sequence[Mapping[str, Any]] = (),
        batch_size: int = 100,
    ) -> None:
        self._streams = streams
        self._stream_arn = stream_arn
        self._handler = handler
        self._filters = [EventPattern(None, dict(pattern)) for pattern in filters]
        self._batch_size = batch_size
        # Per shard, where the next read starts: (iterator type, sequence number).
        self._positions: dict[str, tuple[str, str]] = {}
        self._finished: set[str] = set()
        self._lock = threading.Lock()

    def drain(self) -> None:
        """One pass: hand over every record written since the last pass, shard by shard."""
        with self._lock:
            for shard in self._shards_in_order():
                self._read_shard(shard)

    def _shards_in_order(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        start: dict[str, str] = {}
        while True:
            described = self._streams.describe_stream(StreamArn=self._stream_arn, **start)
            description = described["StreamDescription"]
            shards += description["Shards"]
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            start = {"ExclusiveStartShardId": last}
        known = {shard["ShardId"] for shard in shards}
        ready: list[dict[str, Any]] = []
        for shard in shards:
            parent = shard.get("ParentShardId")
            # A child's records come after its parent's: read it once the parent is done.
            if parent in known and parent not in self._finished:
                continue
            if shard["ShardId"] not in self._finished:
                ready.append(shard)
        return ready

    def _read_shard(self, shard: dict[str, Any]) -> None:
        shard_id = shard["ShardId"]
        kind, sequence = self._positions.get(shard_id, ("TRIM_HORIZON", ""))
        where = {"SequenceNumber": sequence} if sequence else {}
        iterator = self._streams.get_shard_iterator(
            StreamArn=self._stream_arn, ShardId=shard_id, ShardIteratorType=kind, **where
        )["ShardIterator"]
        while iterator:
            page = self._streams.get_records(ShardIterator=iterator, Limit=self._batch_size)
            records = page["Records"]
            if not records:
                if page.get("NextShardIterator") is None:
                    self._finished.add(shard_id)  # a closed shard, read to its end
                break
            selected = [self._lambda_record(r) for r in records if self._selects(r)]
            failed = self._hand_over(selected)
            if failed:
                self._positions[shard_id] = ("AT_SEQUENCE_NUMBER", min(failed, key=int))
                return
            last = records[-1]["dynamodb"]["SequenceNumber"]
            self._positions[shard_id] = ("AFTER_SEQUENCE_NUMBER", last)
            iterator = page.get("NextShardIterator")

    def _selects(self, record: Mapping[str, Any]) -> bool:
        if not self._filters:
            return True
        # Lambda filters use the EventBridge pattern syntax; moto types its matcher for events.
        event: Any = _json_ready(record)
        return any(pattern.matches_event(event) for pattern in self._filters)

    def _lambda_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record as Lambda delivers it: JSON, with the stream's ARN."""
        return {**_json_ready(record), "eventSourceARN": self._stream_arn}

    def _hand_over(self, records: list[dict[str, Any]]) -> list[str]:
        """The sequence numbers the handler reported failed (none for an empty batch)."""
        if not records:
            return []
        answer = self._handler({"Records": records}, None) or {}
        return [failure["itemIdentifier"] for failure in answer.get("batchItemFailures", [])]


def _json_ready(record: Mapping[str, Any]) -> dict[str, Any]:
    """boto3 parses the record's creation time; Lambda's event has it as epoch seconds."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": dynamodb}


POLL_INTERVAL = 0.5  # seconds between passes; AWS polls a shard about four times a second


def start_stream_relays(
    mappings: Sequence[StreamMapping], streams: Any, invoke: Callable[[str, Any], Any]
) -> list[BackgroundLoop]:
    """A background relay per stream mapping of the template, calling `invoke(function, event)`."""
    loops: list[BackgroundLoop] = []
    for mapping in mappings:
        relay = StreamRelay(
            streams,
            mapping.stream_arn,
            partial(_invoke, invoke, mapping.function),
            filters=mapping.filters,
            batch_size=mapping.batch_size,
        )
        loop = BackgroundLoop(f"stream relay to {mapping.function}", relay.drain, POLL_INTERVAL)
        loop.start()
        loops.append(loop)
    return loops


def _invoke(invoke: Callable[[str, Any], Any], function: str, event: Any, context: Any) -> Any:
    return invoke(function, event)
