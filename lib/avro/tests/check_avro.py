#!/usr/bin/env python3
"""Checks weir's Avro container files with fastavro, and weir's reader with
files fastavro wrote; the two share no code.

argv[1] is weir_avro_sample. `write DIR` writes every case (see sample.cpp)
in the null and deflate codecs with a .json of what it holds: fastavro must
read the same records, metadata, codec, block sizes and the Iceberg field
ids in the schema. Then fastavro writes files of its own (several blocks,
both codecs, an Iceberg manifest-like schema) and `read FILE` must print
exactly their records. Exits 1 on any difference.
"""
import io
import json
import math
import pathlib
import subprocess
import sys
import tempfile

import fastavro


class Mismatch(Exception):
    pass


def from_json(v):
    """The sample's JSON conventions as the Python values fastavro returns."""
    if isinstance(v, dict):
        if set(v) == {"bytes"}:
            return bytes.fromhex(v["bytes"])
        return {k: from_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_json(x) for x in v]
    if v in ("NaN", "Infinity", "-Infinity"):
        return float(v.replace("Infinity", "inf"))
    return v


def to_json(v):
    """Python values as the reader prints them."""
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def same(a, b, path="record"):
    """Equality that matches NaN with NaN, tells -0.0 from 0.0 and True from 1."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            ok = math.isnan(a) and math.isnan(b)
        else:
            ok = a == b and math.copysign(1, a) == math.copysign(1, b)
        if not ok:
            raise Mismatch(f"{path}: {a!r} != {b!r}")
        return
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            raise Mismatch(f"{path}: keys {sorted(a)} != {sorted(b)}")
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise Mismatch(f"{path}: {len(a)} items != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
        return
    if type(a) is not type(b) or a != b:
        raise Mismatch(f"{path}: {a!r} != {b!r}")


def field_ids(schema, out, path=""):
    """Every field-id and element-id in a schema, by path."""
    if isinstance(schema, list):
        for branch in schema:
            field_ids(branch, out, path)
    elif isinstance(schema, dict):
        if "element-id" in schema:
            out[path + "[]"] = schema["element-id"]
        for f in schema.get("fields", []):
            if "field-id" in f:
                out[path + "/" + f["name"]] = f["field-id"]
            field_ids(f["type"], out, path + "/" + f["name"])
        for key in ("items", "values"):
            if key in schema:
                field_ids(schema[key], out, path + "[]")


def check_weir_file(avro_path):
    want = json.loads(avro_path.with_suffix(".json").read_text(encoding="utf-8"))
    with open(avro_path, "rb") as f:
        reader = fastavro.reader(f)
        codec = reader.metadata.get("avro.codec")
        if codec != want["codec"]:
            raise Mismatch(f"codec {codec!r}, expected {want['codec']!r}")
        for k, v in want["metadata"].items():
            if reader.metadata.get(k) != v:
                raise Mismatch(f"metadata {k}: {reader.metadata.get(k)!r}, expected {v!r}")
        got_ids, want_ids = {}, {}
        field_ids(json.loads(reader.metadata["avro.schema"]), got_ids)
        field_ids(want["schema"], want_ids)
        if got_ids != want_ids:
            raise Mismatch(f"field ids {got_ids}, expected {want_ids}")
        records = list(reader)
    same(records, from_json(want["records"]))
    with open(avro_path, "rb") as f:
        blocks = [b.num_records for b in fastavro.block_reader(f)]
    if blocks != want["blocks"]:
        raise Mismatch(f"blocks of {blocks} records, expected {want['blocks']}")
    return len(records)


MANIFEST_LIKE = {
    "type": "record", "name": "manifest_entry", "fields": [
        {"name": "status", "type": "int", "field-id": 0},
        {"name": "snapshot_id", "type": ["null", "long"], "default": None, "field-id": 1},
        {"name": "data_file", "field-id": 2, "type": {
            "type": "record", "name": "r2", "fields": [
                {"name": "file_path", "type": "string", "field-id": 100},
                {"name": "partition", "field-id": 102, "type": {
                    "type": "record", "name": "r102", "fields": [
                        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}],
                         "default": None, "field-id": 1000}]}},
                {"name": "value_counts", "field-id": 109, "default": None, "type": ["null", {
                    "type": "array", "logicalType": "map", "items": {
                        "type": "record", "name": "k119_v120", "fields": [
                            {"name": "key", "type": "int", "field-id": 119},
                            {"name": "value", "type": "long", "field-id": 120}]}}]},
                {"name": "ratio", "type": ["null", "double", "float"], "default": None},
                {"name": "tags", "type": {"type": "map", "values": "string"}},
                {"name": "md5", "type": {"type": "fixed", "name": "md5", "size": 16}},
                {"name": "kind", "type": {"type": "enum", "name": "kind", "symbols": ["A", "B"]}},
                {"name": "ok", "type": "boolean"}]}}]}


def fastavro_files():
    """(name, bytes, records) fastavro wrote."""
    records = []
    for i in range(300):
        records.append({
            "status": i % 3,
            "snapshot_id": None if i % 4 == 0 else (i * 0x1F2E3D4C5B6A7988) % (1 << 63),
            "data_file": {
                "file_path": f"s3://bucket/t/data/day={i % 7}/f-{i}.parquet",
                "partition": {"day": None if i % 11 == 0 else 19000 + i},
                "value_counts": None if i % 5 == 0 else [{"key": k, "value": k * i} for k in range(1, i % 4 + 2)],
                "ratio": None if i % 2 else i / 8,
                "tags": {f"t{k}": "v" * k for k in range(i % 3)},
                "md5": bytes([i % 256]) * 16,
                "kind": "AB"[i % 2],
                "ok": i % 7 == 0,
            }})
    out = []
    for codec in ("null", "deflate"):
        buf = io.BytesIO()
        fastavro.writer(buf, fastavro.parse_schema(MANIFEST_LIKE), records, codec=codec,
                        sync_interval=2000, metadata={"format-version": "2"})
        out.append((f"fastavro_manifest.{codec}", buf.getvalue(), records))
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema({"type": "array", "items": "string"}), [], codec="deflate")
    out.append(("fastavro_empty.deflate", buf.getvalue(), []))
    return out


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PATH/TO/weir_avro_sample", file=sys.stderr)
        return 2
    sample = sys.argv[1]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="weir-avro-") as tmp:
        run = subprocess.run([sample, "write", tmp], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"FAIL: {sample} write exited {run.returncode}: {run.stderr.strip()}")
            return 1
        files = sorted(pathlib.Path(tmp).glob("*.avro"))
        if not files:
            print(f"FAIL: {sample} wrote no .avro files")
            return 1
        for f in files:
            try:
                n = check_weir_file(f)
                print(f"ok    fastavro reads {f.name} ({n} records)")
                passed += 1
            except Exception as e:  # a reader refusing the file is a failure too
                print(f"FAIL  fastavro reads {f.name}: {type(e).__name__}: {e}")
                failed += 1

        for name, data, records in fastavro_files():
            path = pathlib.Path(tmp) / (name + ".avro")
            path.write_bytes(data)
            run = subprocess.run([sample, "read", str(path)], capture_output=True, text=True)
            try:
                if run.returncode != 0:
                    raise Mismatch(f"exited {run.returncode}: {run.stderr.strip()}")
                got = json.loads(run.stdout)
                if got["metadata"].get("format-version", "2") != "2":
                    raise Mismatch(f"metadata {got['metadata']}")
                same(from_json(got["records"]), from_json(to_json(records)))
                print(f"ok    weir reads {name} ({len(records)} records, codec {got['codec']})")
                passed += 1
            except Exception as e:
                print(f"FAIL  weir reads {name}: {type(e).__name__}: {e}")
                failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
