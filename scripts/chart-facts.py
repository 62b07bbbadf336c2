#!/usr/bin/env python3
"""Writes infra/facts/charts/<chart>.json: what one chart version accepts as values.

Run by a maintainer when a chart pin in infra/addons/<add-on>.ts moves, against a local git
clone of the chart's own repository (the chart is read at its release tag; nothing of it is
copied into this repository, only the list of value keys it declares):

  scripts/chart-facts.py --git-dir <clone>/.git --tag argo-cd-10.1.1 --path charts/argo-cd \
    --repository argoproj/argo-helm --index-ref gh-pages --index-file index.yaml \
    --out infra/facts/charts/argo-cd.json [--free-form configs.params "why"]...
  npx biome format --write infra/facts

Facts recorded:
- valueKeys: every key path of the chart's values.yaml (maps descended, lists not), so a
  value we set under a path the chart never reads is caught by test/bootstrap/facts.test.ts;
- templateKeys: `.Values.<path>` references in templates/ that values.yaml does not declare
  (a chart may read a key it has no default for, e.g. cloud-provider-aws' hostNetworking);
- openMaps: keys whose default is an empty map (nodeSelector: {}): any key below them is free;
- crdTemplates, crdKinds: templates that render a CustomResourceDefinition, and its kinds (Helm
  builds every object of a release before creating any, so a release cannot hold custom
  resources of the CRDs it creates itself from templates/);
- index: the chart index entry (appVersion, digest, url) and the index's `generated` date.
Key paths are dotted; a key that itself contains a dot is written in brackets: a.b[c.d].
"""
import argparse
import json
import re
import subprocess
import sys

import yaml


def git(git_dir, *args):
    return subprocess.check_output(["git", "--git-dir", git_dir, *args], text=True)


def key_path(segments):
    return "".join(
        (f"[{s}]" if "." in s else (s if i == 0 else f".{s}")) for i, s in enumerate(segments)
    )


def walk(node, prefix, out, open_maps):
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        path = [*prefix, str(key)]
        out.add(key_path(path))
        if value == {}:
            open_maps.add(key_path(path))
        walk(value, path, out, open_maps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--git-dir", required=True)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--repository", required=True, help="owner/name of the chart's source")
    ap.add_argument("--index-git-dir", help="clone holding the chart index (default: --git-dir)")
    ap.add_argument("--index-repository", help="owner/name of the index (default: --repository)")
    ap.add_argument("--index-ref", required=True)
    ap.add_argument("--index-file", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--free-form", nargs=2, action="append", default=[], metavar=("PATH", "WHY"))
    a = ap.parse_args()

    ref = a.tag
    chart = next(d for d in yaml.safe_load_all(git(a.git_dir, "show", f"{ref}:{a.path}/Chart.yaml")) if d)
    values = yaml.safe_load(git(a.git_dir, "show", f"{ref}:{a.path}/values.yaml")) or {}
    commit = git(a.git_dir, "rev-list", "-n", "1", ref).strip()
    date = git(a.git_dir, "log", "-1", "--format=%cI", commit).strip()

    keys, open_maps = set(), set()
    walk(values, [], keys, open_maps)

    templates = [
        f
        for f in git(a.git_dir, "ls-tree", "-r", "--name-only", ref, f"{a.path}/templates").split()
        if f.endswith((".yaml", ".yml", ".tpl", ".txt"))
    ]
    referenced, crds, crd_kinds = set(), [], set()
    for f in templates:
        text = git(a.git_dir, "show", f"{ref}:{f}")
        for m in re.finditer(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text):
            referenced.add(key_path(m.group(1)[1:].split(".")))
        if re.search(r"^kind:\s*CustomResourceDefinition\s*$", text, re.M):
            crds.append(f[len(a.path) + 1 :])
            names = re.search(r"^(\s+)names:\s*\n((?:\1\s+.*\n)+)", text, re.M)
            if names:
                crd_kinds.update(re.findall(r"^\s+kind:\s*(\w+)\s*$", names.group(2), re.M))
    template_keys = sorted(referenced - keys)

    index_dir = a.index_git_dir or a.git_dir
    index = yaml.safe_load(git(index_dir, "show", f"{a.index_ref}:{a.index_file}"))
    entry = next(
        (e for e in index["entries"].get(chart["name"], []) if e["version"] == chart["version"]),
        None,
    )
    if entry is None:
        sys.exit(f"{chart['name']} {chart['version']} is not in {a.index_ref}:{a.index_file}")
    index_commit = git(index_dir, "rev-parse", a.index_ref).strip()
    index_date = git(index_dir, "log", "-1", "--format=%cI", index_commit).strip()

    facts = {
        "chart": chart["name"],
        "version": chart["version"],
        "appVersion": chart.get("appVersion"),
        "kubeVersion": chart.get("kubeVersion"),
        "source": {
            "repository": a.repository,
            "tag": a.tag,
            "commit": commit,
            "commitDate": date,
            "path": a.path,
        },
        "index": {
            "repository": a.index_repository or a.repository,
            "ref": a.index_ref,
            "file": a.index_file,
            "commit": index_commit,
            "commitDate": index_date,
            "generated": str(index.get("generated")),
            "appVersion": entry.get("appVersion"),
            "digest": entry.get("digest"),
            "url": (entry.get("urls") or [None])[0],
        },
        "crdTemplates": sorted(crds),
        "crdKinds": sorted(crd_kinds),
        "openMaps": sorted(open_maps),
        "freeForm": {p: why for p, why in a.free_form},
        "templateKeys": template_keys,
        "valueKeys": sorted(keys),
    }
    with open(a.out, "w", encoding="utf8") as fh:
        json.dump(facts, fh, indent=2)
        fh.write("\n")


if __name__ == "__main__":
    main()
