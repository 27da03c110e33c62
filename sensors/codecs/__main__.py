"""``python -m sensors.codecs``: decode one payload, or list the profiles.

python -m sensors.codecs decode --profile dragino-lse01 --fport 2 CE2900F107A5099B6E2890
python -m sensors.codecs profiles
"""

from __future__ import annotations

import argparse
import json
import sys

from . import DecodeError, decode, describe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sensors.codecs")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("decode", help="decode one uplink payload given in hex")
    one.add_argument("--profile", required=True)
    one.add_argument("--fport", required=True, type=int)
    one.add_argument("hex", help="payload as hex digits (spaces allowed)")
    commands.add_parser("profiles", help="list the profiles with a description")
    args = parser.parse_args(argv)

    if args.command == "profiles":
        for profile, text in describe().items():
            print(f"{profile}\t{text}")
        return 0
    try:
        payload = bytes.fromhex(args.hex.replace(" ", ""))
    except ValueError:
        print(f"not a hex payload: {args.hex!r}", file=sys.stderr)
        return 2
    try:
        decoded = decode(args.profile, args.fport, payload)
    except DecodeError as exc:
        print(f"DecodeError: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(decoded.as_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
