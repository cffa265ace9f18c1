"""After `sam build`: the built layer's wheels and binaries are for the functions' architecture.

The layer is built for arm64 on a machine that may be x86_64, so nothing here can load its
native code: this reads what it is made for instead. Every ``Tag:`` of each
``*.dist-info/WHEEL`` must be pure Python (``py3-none-any``) or for python3.13 (``cp313``, or
the stable ABI ``abi3`` of a CPython up to 3.13) on manylinux for the architecture, of a glibc
no newer than the runtime's (Amazon Linux 2023). Every ELF file (each ``.so`` must be one) must
be for that machine, by its header's ``e_machine``, so a binary of another architecture cannot
slip in under the right tags. Each pin of layers/custom_auth/requirements.txt must be installed
at its version, and those in NATIVE as a native wheel.

    python tools/check_wheels.py --architecture arm64 [--build-dir .aws-sam/build]
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "layers" / "custom_auth" / "requirements.txt"
# The pins that ship compiled code: each must come as a wheel for the target, never missing and
# never a pure-Python fallback (which the tags alone would let through).
NATIVE = ("cbor2", "cffi", "cryptography")
# Lambda's architecture names: the machine in wheel platform tags, and the ELF e_machine.
MACHINES = {"arm64": ("aarch64", 183), "x86_64": ("x86_64", 62)}
# python3.13's runtime is Amazon Linux 2023: glibc 2.34. The legacy manylinux names' glibc.
GLIBC = (2, 34)
LEGACY_MANYLINUX = {"1": (2, 5), "2010": (2, 12), "2014": (2, 17)}
PYTHON = 13  # 3.13


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def tag_problem(tag: str, machine: str) -> str | None:
    """Why the wheel tag does not run on python3.13 on manylinux ``machine``, or None."""
    interpreter, abi, platform = tag.split("-")
    if abi == "none" and platform == "any":
        return None  # pure Python (a py2.py3 wheel lists py2-none-any too)
    python = re.fullmatch(r"(py|cp)3(\d*)", interpreter)
    if not python or int(python[2] or 0) > PYTHON or (python[1] == "cp" and not python[2]):
        return f"interpreter {interpreter} is not python3.13's (py3, or cp3x up to cp313)"
    if abi not in ("none", "abi3", "cp313") or (abi != "none" and python[1] != "cp"):
        return f"ABI {abi} is not python3.13's (none, abi3, cp313)"
    linux = re.fullmatch(rf"manylinux(?:_(\d+)_(\d+)|(1|2010|2014))_{machine}", platform)
    if linux is None:
        return f"platform {platform} is not manylinux for {machine}"
    glibc = LEGACY_MANYLINUX[linux[3]] if linux[3] else (int(linux[1]), int(linux[2]))
    if glibc > GLIBC:
        return f"platform {platform} needs a glibc newer than the runtime's 2.34"
    return None


def _pins() -> dict[str, str]:
    pins = {}
    for number, line in enumerate(REQUIREMENTS.read_text().splitlines(), 1):
        if not (line := line.split("#")[0].strip()):
            continue
        if not (pin := re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line)):
            raise SystemExit(f"{REQUIREMENTS.name}:{number}: not a name==version pin: {line}")
        pins[_name(pin[1])] = pin[2]
    return pins


def check(layer_dir: Path, architecture: str) -> list[str]:
    machine, e_machine = MACHINES[architecture]
    problems = []
    if not layer_dir.is_dir():
        return [f"CustomAuthLayer: no built layer at {layer_dir}: run sam build"]
    installed: dict[str, tuple[str, bool]] = {}  # name: version, native
    for wheel in sorted(layer_dir.glob("*.dist-info/WHEEL")):
        name, _, version = wheel.parent.name.removesuffix(".dist-info").rpartition("-")
        tags = [
            line.split(":", 1)[1].strip()
            for line in wheel.read_text().splitlines()
            if line.startswith("Tag:")
        ]
        where = wheel.relative_to(layer_dir)
        if not tags:
            problems.append(f"CustomAuthLayer: {where}: no Tag")
        for tag in tags:
            if problem := tag_problem(tag, machine):
                problems.append(f"CustomAuthLayer: {where}: Tag {tag}: {problem}")
        native = any(not tag.endswith("-any") for tag in tags)
        installed[_name(name)] = (version, native)
        if native:
            print(f"CustomAuthLayer: native {name} {version}: {', '.join(tags)}")
    for name, version in _pins().items():
        if name not in installed:
            problems.append(f"CustomAuthLayer: {name}=={version} is pinned but not installed")
        elif installed[name][0] != version:
            problems.append(f"CustomAuthLayer: {name} {installed[name][0]}, not {version}")
        elif name in NATIVE and not installed[name][1]:
            problems.append(f"CustomAuthLayer: {name} is a pure wheel, not the native one")
    binaries = 0
    for path in sorted(p for p in layer_dir.rglob("*") if p.is_file()):
        with path.open("rb") as handle:
            head = handle.read(20)
        where = path.relative_to(layer_dir)
        if head[:4] != b"\x7fELF":
            if re.search(r"\.so(\.\d+)*$", path.name):
                problems.append(f"CustomAuthLayer: {where}: a .so that is not an ELF file")
            continue
        binaries += 1
        found = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
        if found != e_machine:
            other = {m: name for name, m in MACHINES.values()}.get(found, "another machine")
            problems.append(
                f"CustomAuthLayer: {where}: ELF e_machine {found} ({other}), "
                f"not {e_machine} ({machine})"
            )
    if not problems:
        natives = sum(native for _, native in installed.values())
        print(
            f"CustomAuthLayer: {len(installed)} wheels ({natives} native) for python3.13 on "
            f"{architecture}, {binaries} ELF files, each for {machine} (e_machine {e_machine})"
        )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architecture", required=True, choices=MACHINES)
    parser.add_argument("--build-dir", type=Path, default=ROOT / ".aws-sam" / "build")
    args = parser.parse_args()
    problems = check(args.build_dir / "CustomAuthLayer" / "python", args.architecture)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
