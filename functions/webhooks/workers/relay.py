"""The outbox relay: puts each new outbox item of the table's stream on Herald's event bus.

Lambda's event source mapping on the application table's stream (infra/event_relay.py) calls
it with the stream's new outbox items only (`OUTBOX_INSERTS`, functions/shared/events.py), in
order per shard. Each item carries its bus entry ready-made: source `herald.<group>`, detail type
the event type, detail the envelope. Entries go out ten per PutEvents call (the API's limit),
and the answer names exactly the records whose entry was refused or never sent, so Lambda
retries from the first of them (ReportBatchItemFailures): nothing is lost, and what was relayed
already may be relayed again, with the same event id, for the consumers to deduplicate.

Locally, `make dev` and the tests read the same stream from moto and call this same handler
(infra/local/stream_relay.py).
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from functions.shared import aws
from functions.shared.observability import logger
from functions.shared.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

PUT_EVENTS_LIMIT = 10  # entries per PutEvents call


def handler(event: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    records: Sequence[Mapping[str, Any]] = event.get("Records", [])
    failed: list[str] = []
    for start in range(0, len(records), PUT_EVENTS_LIMIT):
        failed += _relay(records[start : start + PUT_EVENTS_LIMIT])
    if failed:
        logger.warning("events not relayed", extra={"records": len(failed), "of": len(records)})
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}


def _relay(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Put the records' entries on the bus; the sequence numbers of those that did not get there."""
    bus = get_settings().event_bus_name
    entries: list[PutEventsRequestEntryTypeDef] = []
    sent: list[str] = []
    unreadable: list[str] = []
    for record in records:
        sequence = record["dynamodb"]["SequenceNumber"]
        try:
            image = record["dynamodb"]["NewImage"]
            entry: PutEventsRequestEntryTypeDef = {
                "Source": image["source"]["S"],
                "DetailType": image["detail_type"]["S"],
                "Detail": image["envelope"]["S"],
                "EventBusName": bus,
            }
        except KeyError:
            logger.error("outbox record without its entry", extra={"sequence_number": sequence})
            unreadable.append(sequence)
            continue
        entries.append(entry)
        sent.append(sequence)
    if not entries:
        return unreadable
    try:
        answer = aws.events().put_events(Entries=entries)
    except Exception:
        # The bus could not be reached (throttled, down, denied): every entry is retried.
        logger.exception("PutEvents failed", extra={"entries": len(entries)})
        return unreadable + sent
    # PutEvents answers one result per entry, in order; a refused one has an ErrorCode.
    refused: list[str] = []
    for sequence, result in zip(sent, answer["Entries"], strict=True):
        if result.get("ErrorCode"):
            logger.warning(
                "event refused by the bus",
                extra={"error_code": result["ErrorCode"], "error": result.get("ErrorMessage")},
            )
            refused.append(sequence)
    return unreadable + refused
