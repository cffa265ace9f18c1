"""Write events/ from custom_auth_local.sample_events, or check that it is current.

python tools/generate_sample_events.py          # rewrite events/<trigger>/<scenario>.json
python tools/generate_sample_events.py --check  # exit 1 if a file differs or is missing
"""

import argparse
import json
import sys
from pathlib import Path

from custom_auth_local.sample_events import all_samples

EVENTS = Path(__file__).resolve().parent.parent / "events"


def render(event: object) -> str:
    return json.dumps(event, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if events/ is out of date")
    args = parser.parse_args(argv)
    samples = {path: render(event) for path, event in all_samples().items()}
    existing = {str(p.relative_to(EVENTS)) for p in EVENTS.rglob("*.json")}
    if args.check:
        stale = sorted(
            path
            for path, text in samples.items()
            if not (EVENTS / path).is_file() or (EVENTS / path).read_text(encoding="utf-8") != text
        )
        extra = sorted(existing - set(samples))
        for path in stale:
            sys.stderr.write(f"events/{path}: out of date (run `make events`)\n")
        for path in extra:
            sys.stderr.write(f"events/{path}: no scenario makes it\n")
        return 1 if stale or extra else 0
    for path, text in samples.items():
        (EVENTS / path).parent.mkdir(parents=True, exist_ok=True)
        (EVENTS / path).write_text(text, encoding="utf-8")
    for path in existing - set(samples):
        (EVENTS / path).unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
