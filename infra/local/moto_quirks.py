"""Corrections to moto where local mode needs the real service's behaviour.

moto runs in this process, so the corrections are patches of its server-side code; they apply
to every client, including the functions' own.
"""

import copy
import json
import os
import re
import tempfile
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.firehose.models import FirehoseBackend
from moto.s3.models import s3_backends
from moto.s3.responses import S3Response
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from infra.local.post_policy import FormUpload, S3Refusal, check_form_upload
from infra.local.presigned_get import check_presigned_get, is_presigned

_PATCHED = "_herald_local_patched"


def name_unnamed_executions() -> None:
    """Give StartExecution calls without a name a fresh one, as AWS does.

    moto 5.2's executing backend names such an execution `None`: the second unnamed execution of
    a state machine then fails with ExecutionAlreadyExists, or, while the first one still runs
    with the same input, silently returns that one instead of starting anew.
    """
    original = StepFunctionsParserBackend.start_execution
    if getattr(original, _PATCHED, False):
        return

    def start_execution(
        self: StepFunctionsParserBackend,
        state_machine_arn: str,
        name: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    setattr(start_execution, _PATCHED, True)
    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]


def enforce_form_upload_policies() -> None:
    """Check each browser form upload (presigned POST) against its policy, as S3 does.

    moto stores any form; the check runs where moto's S3 handles a POST to a bucket, before the
    object is stored, so it holds for moto's server and its in-process mock alike. A refusal is
    answered with S3's status and XML error (`infra/local/post_policy.py`).
    """
    original = S3Response._bucket_response_post
    if getattr(original, _PATCHED, False):
        return

    def bucket_response_post(self: S3Response, request: Any, bucket_name: str) -> Any:
        self.path = self._get_path(request)
        if self.is_delete_keys():  # DeleteObjects is a POST too, signed as any API call
            return original(self, request, bucket_name)
        # The file's bytes are the body once moto has parsed the form (a file part or a field).
        has_file = bool(request.files) or "file" in self.form_data
        upload = FormUpload(
            bucket=bucket_name,
            fields=[(name, value) for name, value in self.form_data.items(multi=True)],
            file_size=len(self.raw_body) if has_file else 0,
        )
        try:
            check_form_upload(upload, _environment_secret, datetime.now(UTC))
        except S3Refusal as refused:
            return int(refused.status), {"content-type": "application/xml"}, refused.xml()
        answer = original(self, request, bucket_name)
        if "tagging" in self.form_data and "key" in self.form_data:
            # S3 tags the stored object with the form's `tagging` document; moto ignores it.
            stored = self.backend.get_object(bucket_name, self.form_data["key"])
            if stored is not None:
                self.backend.put_object_tagging(stored, _form_tags(self.form_data["tagging"]))
        return answer

    setattr(bucket_response_post, _PATCHED, True)
    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]


def enforce_presigned_urls() -> None:
    """Check the signature and expiry of each presigned object request (a download URL), as S3
    does; moto serves the object whatever the URL says (`infra/local/presigned_get.py`)."""
    original = S3Response._key_response
    if getattr(original, _PATCHED, False):
        return

    def key_response(self: S3Response, request: Any, full_url: str) -> Any:
        parts = urlsplit(full_url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        headers = {name.lower(): value for name, value in request.headers.items()}
        if is_presigned(query, headers):
            try:
                check_presigned_get(
                    request.method,
                    parts.path,
                    query,
                    headers,
                    _environment_secret,
                    datetime.now(UTC),
                )
            except S3Refusal as refused:
                return int(refused.status), {"content-type": "application/xml"}, refused.xml()
        return original(self, request, full_url)

    setattr(key_response, _PATCHED, True)
    S3Response._key_response = key_response  # type: ignore[method-assign]


def _form_tags(document: str) -> dict[str, str]:
    """The tags of an S3 `<Tagging><TagSet><Tag><Key>..</Key><Value>..</Value></Tag>..` field."""
    root = ElementTree.fromstring(document)  # noqa: S314 (the local stack's own signed form)
    return {
        tag.findtext("Key", ""): tag.findtext("Value", "")
        for tag in root.iter()
        if tag.tag.rsplit("}", 1)[-1] == "Tag"
    }


def _environment_secret(access_key_id: str) -> str | None:
    """The secret of the credentials this process signs with, which local mode sets."""
    if access_key_id and access_key_id == os.environ.get("AWS_ACCESS_KEY_ID"):
        return os.environ.get("AWS_SECRET_ACCESS_KEY")
    return None


def serialize_dynamodb_requests() -> None:
    """Answer DynamoDB requests one at a time.

    moto's DynamoDB backend is not thread-safe: TransactWriteItems deep-copies the table while
    another request thread adds an item, and fails with "dictionary changed size during
    iteration" (an InternalServerError DynamoDB never gives for that). Local mode's stream relay,
    rule and queue pollers write while the API does, so it happens under load. DynamoDB itself
    serves requests concurrently with per-item atomicity; one at a time is a stricter order of
    the same results.
    """
    original = DynamoHandler.call_action
    if getattr(original, _PATCHED, False):
        return
    lock = threading.RLock()

    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    setattr(call_action, _PATCHED, True)
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


class _TransactionCopies:
    """moto's `copy` inside its DynamoDB backend: while a transaction runs, the rollback copy of a
    table that moto 5.2 takes (a full deep copy of each table named, so a local transaction's cost
    grew with everything stored, unlike DynamoDB's) is the table itself; the transaction's own
    items are kept instead (`_TouchedItems`). Every other copy is a real one."""

    def __init__(self) -> None:
        self.in_transaction = False

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if self.in_transaction and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    def copy(self, value: Any) -> Any:
        return copy.copy(value)


class _TouchedItems:
    """The items a transaction names, and each table's stream, as they were before it ran."""

    def __init__(self, backend: DynamoDBBackend, transact_items: Any) -> None:
        self._items: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
        self._streams: list[tuple[list[Any], int]] = []
        seen: set[int] = set()
        for operation in transact_items if isinstance(transact_items, list) else []:
            touched = self._touched(backend, operation)
            if touched is None:
                continue  # malformed: moto refuses it before it writes anything
            table, hash_value, range_value = touched
            stored = table.get_item(hash_value, range_value) if hash_value else None
            self._items.append((table, hash_value, range_value, copy.deepcopy(stored)))
            shard = table.stream_shard
            if shard is not None and id(shard) not in seen:
                seen.add(id(shard))
                self._streams.append((shard.items, len(shard.items)))

    @staticmethod
    def _touched(
        backend: DynamoDBBackend, operation: Any
    ) -> tuple[Table, DynamoType, DynamoType | None] | None:
        try:
            (kind, request), *_ = operation.items()
            table = backend.get_table(request["TableName"])
            key = request["Item"] if kind == "Put" else request["Key"]
            range_attribute = table.range_key_attr
            return (
                table,
                DynamoType(key[table.hash_key_attr]),
                DynamoType(key[range_attribute]) if range_attribute else None,
            )
        except Exception:
            return None

    def restore(self) -> None:
        # In reverse, so that an item named twice (moto refuses that) ends as it first was.
        for table, hash_value, range_value, before in reversed(self._items):
            if range_value is not None:
                if before is None:
                    table.items[hash_value].pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = before
            elif before is None:
                table.items.pop(hash_value, None)
            else:
                # moto types the table's items in their range-key form only.
                table.items[hash_value] = before  # type: ignore[assignment]
        for records, length in self._streams:
            del records[length:]


def roll_back_only_touched_items() -> None:
    """A refused transaction restores the items it names (and drops the stream records it
    added) instead of whole tables: DynamoDB's all-or-nothing, at a cost that does not grow with
    the table."""
    original = DynamoDBBackend.transact_write_items
    if getattr(original, _PATCHED, False):
        return
    copies = _TransactionCopies()
    setattr(dynamodb_models, "copy", copies)  # noqa: B010 (the module moto reads)

    def transact_write_items(self: DynamoDBBackend, transact_items: Any) -> Any:
        # Requests are answered one at a time (serialize_dynamodb_requests): nothing else
        # changes the items between the copy and the restore.
        before = _TouchedItems(self, transact_items)
        copies.in_transaction = True
        try:
            return original(self, transact_items)
        except Exception:
            before.restore()
            raise
        finally:
            copies.in_transaction = False

    setattr(transact_write_items, _PATCHED, True)
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


_EXTRACTION_FIELD = re.compile(r"^\s*(\w+)\s*:\s*\.(\w+)(?:\[(\d+):(\d+)\])?\s*$")
_PARTITION_KEY = re.compile(r"!\{partitionKeyFromQuery:(\w+)\}")


def _extraction_fields(query: str) -> dict[str, tuple[str, slice | None]]:
    """The keys of a MetadataExtraction jq query of the form `{key:.field, key:.field[0:10]}`,
    the only form Herald's streams use; anything else is refused so that local mode never
    guesses."""
    body = query.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"unsupported metadata extraction query: {query!r}")
    fields: dict[str, tuple[str, slice | None]] = {}
    for part in body[1:-1].split(","):
        match = _EXTRACTION_FIELD.match(part)
        if match is None:
            raise ValueError(f"unsupported metadata extraction query: {query!r}")
        name, field, start, end = match.groups()
        fields[name] = (field, slice(int(start), int(end)) if start is not None else None)
    return fields


def _partition_keys(record: bytes, fields: dict[str, tuple[str, slice | None]]) -> dict[str, str]:
    document = json.loads(record)
    keys = {}
    for name, (field, part) in fields.items():
        value = str(document[field])
        keys[name] = value[part] if part is not None else value
    return keys


def _resolved_prefix(prefix: str, keys: dict[str, str]) -> str:
    return _PARTITION_KEY.sub(lambda match: keys[match.group(1)], prefix)


def partition_firehose_deliveries() -> None:
    """Deliver to S3 as Firehose's dynamic partitioning does.

    moto writes each PutRecordBatch to one object under the literal prefix, with
    `!{partitionKeyFromQuery:...}` left unreplaced and `YYYY/MM/DD/HH/` appended. Firehose
    evaluates the stream's metadata extraction query on each record and writes the records of
    each partition under the prefix with the keys replaced, adding no time folders to a custom
    prefix (https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html). Objects
    are written at once rather than after the buffer interval. With record format conversion on,
    each object is Parquet (`records_to_parquet`), as Firehose writes it; moto stores the records.
    """
    original = FirehoseBackend.put_s3_records
    if getattr(original, _PATCHED, False):
        return

    def put_s3_records(
        self: FirehoseBackend,
        delivery_stream_name: str,
        version_id: str,
        s3_destination: dict[str, Any],
        records: list[dict[str, bytes]],
    ) -> list[dict[str, str]]:
        if not s3_destination.get("DynamicPartitioningConfiguration", {}).get("Enabled"):
            return original(self, delivery_stream_name, version_id, s3_destination, records)
        parameters = {
            parameter["ParameterName"]: parameter["ParameterValue"]
            for processor in s3_destination["ProcessingConfiguration"]["Processors"]
            if processor["Type"] == "MetadataExtraction"
            for parameter in processor["Parameters"]
        }
        fields = _extraction_fields(parameters["MetadataExtractionQuery"])
        partitions: dict[str, list[bytes]] = {}
        for record in records:
            prefix = _resolved_prefix(
                s3_destination["Prefix"], _partition_keys(record["Data"], fields)
            )
            partitions.setdefault(prefix, []).append(record["Data"])
        bucket = s3_destination["BucketARN"].split(":")[-1]
        now = datetime.now(UTC).strftime("%Y-%m-%d-%H-%M-%S")
        conversion = s3_destination.get("DataFormatConversionConfiguration", {})
        extension = s3_destination.get("FileExtension", "")
        for prefix, data in partitions.items():
            name = f"{prefix}{delivery_stream_name}-{version_id}-{now}-{uuid.uuid4()}{extension}"
            body = records_to_parquet(data) if conversion.get("Enabled") else b"".join(data)
            s3_backends[self.account_id][self.partition].put_object(bucket, name, body)
        return [{"RecordId": str(uuid.uuid4())} for _ in records]

    setattr(put_s3_records, _PATCHED, True)
    FirehoseBackend.put_s3_records = put_s3_records  # type: ignore[method-assign]


def records_to_parquet(records: list[bytes]) -> bytes:
    """A Parquet file of newline-terminated JSON records, as Firehose's record format conversion
    writes one (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html):
    the columns of the Glue table the stream names (the stack builds it from `EVENT_COLUMNS`),
    fields absent from a record null, a nested object as its JSON text, Snappy-compressed."""
    import duckdb

    from functions.analytics.domain.queries import EVENT_COLUMNS

    with tempfile.TemporaryDirectory(prefix="herald-firehose-") as folder:
        source, target = Path(folder) / "records.jsonl", Path(folder) / "records.parquet"
        source.write_bytes(b"".join(records))
        with duckdb.connect() as connection:
            connection.read_json(
                str(source), format="newline_delimited", columns=EVENT_COLUMNS
            ).write_parquet(str(target), compression="snappy")
        return target.read_bytes()


def apply_all() -> None:
    partition_firehose_deliveries()
    name_unnamed_executions()
    enforce_form_upload_policies()
    enforce_presigned_urls()
    serialize_dynamodb_requests()
    roll_back_only_touched_items()
