#!/usr/bin/env python3
"""Writes infra/definition/ec2-instance-types.json from a botocore wheel.

botocore ships the EC2 API model, whose InstanceType enum lists every instance type the API
accepts. Usage (from the repository root):

    pip download --no-deps botocore -d /tmp/botocore
    python3 scripts/ec2-instance-types.py /tmp/botocore/botocore-*.whl
    npx biome format --write infra/definition/ec2-instance-types.json
"""
import datetime
import gzip
import json
import re
import sys
import zipfile

MODEL = "botocore/data/ec2/2016-11-15/service-2.json.gz"


def main(wheel_path: str) -> None:
    version = re.search(r"botocore-([^-]+)-", wheel_path)
    with zipfile.ZipFile(wheel_path) as wheel:
        info = wheel.getinfo(MODEL)
        model = json.loads(gzip.decompress(wheel.read(MODEL)))
    families: dict[str, list[str]] = {}
    for name in model["shapes"]["InstanceType"]["enum"]:
        family, size = name.split(".", 1)
        families.setdefault(family, []).append(size)
    facts = {
        "source": f"botocore {version.group(1) if version else '?'} (PyPI wheel), {MODEL}, shape InstanceType (enum)",
        "modelDate": datetime.date(*info.date_time[:3]).isoformat(),
        "retrieved": datetime.date.today().isoformat(),
        "count": sum(len(sizes) for sizes in families.values()),
        "families": dict(sorted(families.items())),
    }
    # One line per family: reviewable diffs when AWS adds sizes.
    header = {key: value for key, value in facts.items() if key != "families"}
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in header.items()]
    rows = [f"    {json.dumps(family)}: {json.dumps(sizes)}" for family, sizes in facts["families"].items()]
    text = "{\n" + "\n".join(lines) + '\n  "families": {\n' + ",\n".join(rows) + "\n  }\n}\n"
    with open("infra/definition/ec2-instance-types.json", "w", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    main(sys.argv[1])
