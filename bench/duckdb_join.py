#!/usr/bin/env python3
"""DuckDB reference for bench/investigate.sh: ONLY the token-id join.

Reads every diagnostic-settings Activity record (JSON Lines) under ACTIVITY_DIR and every
diagnostic sign-in record under SIGNIN_DIR with DuckDB's JSON reader, and counts the Activity
events whose `identity.claims.uti` names a sign-in's `properties.uniqueTokenIdentifier`.

Both sides are reduced to the same 32-hex-digit token GUID first, because the two exports
encode it differently (formats.md section 7.2): the `uti` claim is base64url of the GUID's 16
bytes (little-endian first three fields); `uniqueTokenIdentifier` is either that, or the
2022-style base64 of the GUID text, or the plain GUID. Without this step a string equality
join would miss most matches, so it is part of the join, as it is in tokentrail.

The files read are *.json, or *.json.gz when the tree holds those (the generator's --gzip);
DuckDB decompresses them by their extension.

Usage: duckdb_join.py ACTIVITY_DIR SIGNIN_DIR [THREADS]   (THREADS defaults to 2)
Prints one line: activity=N signins=N matched=N seconds=S (matched = join rows)
"""

import pathlib
import sys
import time

import duckdb

# Token id -> 32 hex digits in GUID text order (guid_bytes_key reorders the little-endian fields).
KEY_MACROS = [
    r"""CREATE MACRO guid_bytes_key(x) AS
      substr(x, 7, 2) || substr(x, 5, 2) || substr(x, 3, 2) || substr(x, 1, 2)
      || substr(x, 11, 2) || substr(x, 9, 2) || substr(x, 15, 2) || substr(x, 13, 2)
      || substr(x, 17, 16)""",
    r"""CREATE MACRO token_key(u) AS
      CASE
        WHEN length(u) IN (22, 24) THEN guid_bytes_key(lower(hex(from_base64(
          rpad(replace(replace(rtrim(u, '='), '-', '+'), '_', '/'), 24, '=')))))
        WHEN length(u) = 48 THEN replace(lower(decode(from_base64(u))), '-', '')
        WHEN length(u) = 36 THEN replace(lower(u), '-', '')
        ELSE NULL
      END""",
]


def files(root: str) -> str:
    """The glob of the JSON Lines files under root: gzip-compressed ones if there are any."""
    gz = next(pathlib.Path(root).rglob("*.json.gz"), None) is not None
    return f"{root}/**/*.json.gz" if gz else f"{root}/**/*.json"


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    act, sig = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    t0 = time.monotonic()
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    for m in KEY_MACROS:
        con.execute(m)
    # Only the two fields the join needs are projected; the reader still parses every record.
    activity = (
        f"read_json('{files(act)}', format = 'newline_delimited', hive_partitioning = false,"
        " columns = {'identity': 'STRUCT(claims STRUCT(uti VARCHAR))'})"
    )
    signins = (
        f"read_json('{files(sig)}', format = 'newline_delimited', hive_partitioning = false,"
        " columns = {'properties': 'STRUCT(uniqueTokenIdentifier VARCHAR)'})"
    )
    con.execute(f"CREATE TEMP TABLE a AS SELECT token_key(identity.claims.uti) AS k FROM {activity}")
    con.execute(
        f"CREATE TEMP TABLE s AS SELECT token_key(properties.uniqueTokenIdentifier) AS k FROM {signins}"
    )
    n_act = con.execute("SELECT count(*) FROM a").fetchone()[0]
    n_sig = con.execute("SELECT count(*) FROM s").fetchone()[0]
    pairs = con.execute("SELECT count(*) FROM a JOIN s ON a.k = s.k").fetchone()[0]
    secs = time.monotonic() - t0
    print(f"activity={n_act} signins={n_sig} matched={pairs} seconds={secs:.2f}")


if __name__ == "__main__":
    main()
