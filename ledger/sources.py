"""Resolve ingest sources (a Parquet file, a folder, or s3://bucket/prefix) into local data files."""

from __future__ import annotations

import fnmatch
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ledger.errors import IngestError

PERIOD_DIR = re.compile(r"BILLING_PERIOD=(\d{4}-\d{2})")
VALIDATION_OBJECT = "aws-programmatic-access-test-object"


@dataclass(frozen=True)
class DataFile:
    """One Parquet file to ingest. `name` is what messages call it (local path or s3 URI)."""

    path: Path
    name: str
    folder_period: str | None


def is_skipped(key: str) -> bool:
    """Files the Data Exports layout puts beside the data that are not data (reference §4)."""
    p = PurePosixPath(key)
    if p.name == VALIDATION_OBJECT or p.name.endswith(".json"):
        return True
    parts = p.parts
    if "metadata" in parts or any(part == "cost_and_usage_data_status" for part in parts):
        return True
    return fnmatch.fnmatch(p.name, ".*") or p.name.startswith("_")


def folder_period(key: str) -> str | None:
    m = PERIOD_DIR.search(key)
    return m.group(1) if m else None


def _manifest_files(manifest: dict[str, Any]) -> list[str]:
    files = manifest.get("dataFiles") or manifest.get("reportKeys") or []
    return [str(f) for f in files]


def _apply_manifests(keys: list[str], manifests: dict[str, dict[str, Any]]) -> list[str]:
    """Where a period has a manifest, keep only the data files it lists (latest execution)."""
    listed_by_period: dict[str, set[str]] = {}
    for period, manifest in manifests.items():
        listed_by_period[period] = {
            f.split("/data/", 1)[-1] if "/data/" in f else f for f in _manifest_files(manifest)
        }
    kept = []
    for key in keys:
        period = folder_period(key)
        if period in listed_by_period:
            tail = key.split("/data/", 1)[-1] if "/data/" in key else key
            if not any(tail.endswith(x) or x.endswith(tail) for x in listed_by_period[period]):
                continue
        kept.append(key)
    return kept


def _is_parquet_name(key: str) -> bool:
    return key.lower().endswith(".parquet")


def _local(source: str, ignored: list[str]) -> list[DataFile]:
    root = Path(source).expanduser()
    if not root.exists():
        raise IngestError(source, "no such file or folder")
    if root.is_file():
        return [DataFile(root, str(root), folder_period(str(root.resolve())))]
    manifests: dict[str, dict[str, Any]] = {}
    for m in sorted(root.rglob("*Manifest.json")):
        period = folder_period(str(m))
        if period:
            try:
                manifests[period] = json.loads(m.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise IngestError(str(m), f"manifest is not valid JSON ({exc})") from exc
    keys = sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
    )
    keys = [k for k in keys if not is_skipped(k)]
    ignored += [str(root / k) for k in keys if not _is_parquet_name(k)]
    keys = _apply_manifests([k for k in keys if _is_parquet_name(k)], manifests)
    files = [DataFile(root / k, str(root / k), folder_period(k)) for k in keys]
    if not files:
        raise IngestError(source, "no Parquet data files found under this folder")
    return files


def _s3(source: str, client: Any, workdir: Path, ignored: list[str]) -> list[DataFile]:
    m = re.match(r"^s3://([^/]+)/?(.*)$", source)
    if not m:
        raise IngestError(source, "not an s3://bucket/prefix URI")
    bucket, prefix = m.group(1), m.group(2)
    try:
        keys: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
    except Exception as exc:  # botocore raises many types; the message is what matters here
        raise IngestError(source, f"cannot list the bucket: {exc}") from exc
    manifests: dict[str, dict[str, Any]] = {}
    for key in keys:
        if key.endswith("Manifest.json") and (period := folder_period(key)):
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            try:
                manifests[period] = json.loads(body)
            except json.JSONDecodeError as exc:
                raise IngestError(f"s3://{bucket}/{key}", f"manifest is not valid JSON ({exc})") from exc
    candidates = [k for k in keys if not is_skipped(k)]
    ignored += [f"s3://{bucket}/{k}" for k in candidates if not _is_parquet_name(k)]
    data_keys = _apply_manifests([k for k in candidates if _is_parquet_name(k)], manifests)
    if not data_keys:
        raise IngestError(source, "no Parquet data files found under this prefix")
    workdir.mkdir(parents=True, exist_ok=True)
    files = []
    for i, key in enumerate(sorted(data_keys)):
        local = workdir / f"{i:05d}-{PurePosixPath(key).name}"
        client.download_file(bucket, key, str(local))
        files.append(DataFile(local, f"s3://{bucket}/{key}", folder_period(key)))
    return files


def resolve(sources: list[str], *, s3_client: Any = None, workdir: Path | None = None,
            ignored: list[str] | None = None) -> list[DataFile]:
    """All data files of all sources; S3 objects are downloaded into `workdir`. Inside a folder or
    prefix only *.parquet files are data; others are appended to `ignored`. A file named
    explicitly is always read (and must be Parquet)."""
    ignored = [] if ignored is None else ignored
    files: list[DataFile] = []
    for source in sources:
        if source.startswith("s3://"):
            if s3_client is None:
                import boto3

                s3_client = boto3.client("s3")
            if workdir is None:
                workdir = Path(tempfile.mkdtemp(prefix="steward-s3-"))
            files += _s3(source, s3_client, workdir, ignored)
        else:
            files += _local(source, ignored)
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique
