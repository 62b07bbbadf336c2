# Builds the cluster's status document from kubectl's JSON (run by cluster-status.sh).
#
# Usage: cluster-status.py <dir> <cluster> <reporter> <now> <limit>
# <dir> holds what cluster-status.sh collected: nodes.json, helmcharts.json, jobs.json,
# argocd-root.json, jenkins.json (each missing or empty when kubectl failed) and logs/<job>.log.
# Prints one compact JSON document of at most <limit> characters (SSM Parameter Store's standard
# tier takes 4096: its PutParameter refuses more with "Standard tier parameters support a maximum
# parameter value of 4096 characters"; AWS Systems Manager User Guide, "Managing parameter tiers").
# What is cut to fit is named in "cut", so the bot can say the document is incomplete.
#
# Fields read, each from its source:
# - Node: metadata.name, metadata.creationTimestamp, labels node-role.kubernetes.io/control-plane
#   (k3s labels servers so), spec.unschedulable (cordoned: drained for a replacement),
#   status.conditions[type=Ready].status/lastTransitionTime, status.nodeInfo.kubeletVersion
#   (Kubernetes core/v1 Node).
# - HelmChart (helm.cattle.io/v1, k3s-io/helm-controller v0.16.10 pkg/apis/helm.cattle.io/v1/
#   types.go): status.jobName and status.conditions JobCreated / Failed (Failed=True when the Job
#   could not be generated). Its install Job is helm-install-<chart name> in the chart's namespace
#   (pkg/controllers/chart/chart.go, `fmt.Sprintf("helm-%s-%s", action, chart.Name)`), retried up
#   to backoffLimit 1000 (infra/facts/helm-controller.json): a failing install is a Job with
#   status.failed > 0 and no status.succeeded, not a Job that gave up.
# - Argo CD Application (argoproj.io/v1alpha1): status.sync.status (Synced, OutOfSync, Unknown) and
#   status.health.status (Healthy, Progressing, Degraded, Suspended, Missing, Unknown).
# - Jenkins StatefulSet (apps/v1): status.readyReplicas against spec.replicas.


import json
import os
import re
import sys

LOG_LINES = 12
LOG_CHARS = 600
FIELD_CHARS = 120
# Secret-shaped text never leaves the node: the bot redacts again before anything is shown.
SECRET = re.compile(
    r"(?i)(password|passwd|secret|token|api[_-]?key|authorization)([\"']?\s*[:=]\s*)\S+"
    r"|K10[0-9a-f]{20,}::\S+|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*"
)


def load(directory, name):
    try:
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            text = f.read()
        return json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        return None


def short(text, limit=FIELD_CHARS):
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def redact(text):
    return SECRET.sub(lambda m: (m.group(1) + m.group(2) if m.group(1) else "") + "<redacted>", text)


def condition(item, kind):
    for cond in (item.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def nodes_of(doc):
    out = []
    for item in (doc or {}).get("items") or []:
        meta = item.get("metadata") or {}
        labels = meta.get("labels") or {}
        ready = condition(item, "Ready") or {}
        node = {
            "name": short(meta.get("name")),
            "role": "server" if labels.get("node-role.kubernetes.io/control-plane") == "true" else "agent",
            "ready": ready.get("status") == "True",
            "version": short(((item.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion"), 40),
            "created": meta.get("creationTimestamp"),
            "since": ready.get("lastTransitionTime"),
        }
        if (item.get("spec") or {}).get("unschedulable"):
            node["cordoned"] = True
        out.append(node)
    return sorted(out, key=lambda n: (n["role"] != "server", n["name"]))


def log_tail(directory, job):
    try:
        with open(os.path.join(directory, "logs", job + ".log"), encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()[-LOG_LINES:]
    except OSError:
        return None
    text = redact("\n".join(lines))
    return text[-LOG_CHARS:]


def charts_of(directory, charts, jobs):
    by_name = {}
    for job in (jobs or {}).get("items") or []:
        meta = job.get("metadata") or {}
        by_name[(meta.get("namespace"), meta.get("name"))] = job
    out = []
    for chart in (charts or {}).get("items") or []:
        meta = chart.get("metadata") or {}
        name = meta.get("name") or ""
        job_name = (chart.get("status") or {}).get("jobName") or "helm-install-" + name
        failed = condition(chart, "Failed") or {}
        job = by_name.get((meta.get("namespace"), job_name))
        entry = {"name": short(name, 60)}
        status = (job or {}).get("status") or {}
        if failed.get("status") == "True":
            entry["state"] = "failed"
            entry["message"] = short(redact(failed.get("message") or failed.get("reason") or ""))
        elif job is None:
            entry["state"] = "pending"
        elif (status.get("succeeded") or 0) > 0:
            entry["state"] = "installed"
            entry["since"] = status.get("completionTime")
        elif (status.get("failed") or 0) > 0:
            entry["state"] = "failing"
            entry["attempts"] = status.get("failed")
            tail = log_tail(directory, job_name)
            if tail:
                entry["log"] = tail
        else:
            entry["state"] = "installing"
        out.append(entry)
    return sorted(out, key=lambda c: c["name"])


def argocd_of(app):
    if app is None:
        return None
    status = app.get("status") or {}
    health = status.get("health") or {}
    out = {
        "sync": short((status.get("sync") or {}).get("status") or "Unknown", 20),
        "health": short(health.get("status") or "Unknown", 20),
    }
    if health.get("message"):
        out["message"] = short(redact(health["message"]))
    return out


def jenkins_of(sts):
    if sts is None:
        return None
    want = (sts.get("spec") or {}).get("replicas", 1)
    ready = (sts.get("status") or {}).get("readyReplicas") or 0
    return {"ready": ready >= want and want > 0}


def fit(doc, limit):
    # Cuts the least useful detail first until the document fits.
    def size():
        return len(json.dumps(doc, separators=(",", ":"), ensure_ascii=True))

    steps = [
        ("logs", lambda: [c.update(log=c["log"][-200:]) for c in doc["charts"] if "log" in c]),
        ("logs", lambda: [c.pop("log", None) for c in doc["charts"]]),
        ("messages", lambda: [c.pop("message", None) for c in doc["charts"]]),
        ("node-times", lambda: [n.pop(k, None) for n in doc["nodes"] for k in ("created", "since")]),
        ("nodes", lambda: doc.update(nodes=[n for n in doc["nodes"] if not n["ready"] or n["role"] == "server"])),
        ("charts", lambda: doc.update(charts=[c for c in doc["charts"] if c["state"] != "installed"])),
    ]
    for what, step in steps:
        if size() <= limit:
            break
        step()
        if what not in doc["cut"]:
            doc["cut"].append(what)
    if size() > limit:
        doc.update(nodes=[], charts=[])
        doc["cut"].append("all")
    return doc


def failing_jobs(directory):
    # Install Jobs that failed at least once and never succeeded: their log tail is collected.
    for job in (load(directory, "jobs.json") or {}).get("items") or []:
        status = job.get("status") or {}
        if (status.get("failed") or 0) > 0 and not status.get("succeeded"):
            print((job.get("metadata") or {}).get("name") or "")


def main():
    if sys.argv[1] == "--failing-jobs":
        return failing_jobs(sys.argv[2])
    directory, cluster, reporter, now, limit = sys.argv[1:6]
    nodes = load(directory, "nodes.json")
    doc = {
        "v": 1,
        "cluster": cluster,
        "at": now,
        "reporter": short(reporter, 80),
        "api": "up" if nodes is not None else "down",
        "nodes": nodes_of(nodes),
        "charts": charts_of(directory, load(directory, "helmcharts.json"), load(directory, "jobs.json")),
        "cut": [],
    }
    argocd = argocd_of(load(directory, "argocd-root.json"))
    if argocd:
        doc["argocd"] = argocd
    jenkins = jenkins_of(load(directory, "jenkins.json"))
    if jenkins:
        doc["jenkins"] = jenkins
    fit(doc, int(limit))
    sys.stdout.write(json.dumps(doc, separators=(",", ":"), ensure_ascii=True))


if __name__ == "__main__":
    main()
