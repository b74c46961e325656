#!/usr/bin/env python3
"""Check the manifests rendered by `helm template` for the Qudao chart.

Usage: check_helm.py [--mode hooks|gitops|existing-secret] rendered.yaml

Modes (each matches one `helm template` run in .ci/helm.sh):
  hooks            chart defaults: migration Job is a pre-install/pre-upgrade hook
  gitops           migrations.useHooks=false plus Stripe keys set: plain Job
  existing-secret  secrets.existingSecret=qudao-prod, autoscaling off

Prints every check it makes; exits 1 listing the failed ones.
"""
from __future__ import annotations

import argparse
import sys

try:
    import yaml
except ImportError:  # .ci/helm.sh installs it; this is for direct runs
    sys.exit("check_helm.py: PyYAML is required (python3 -m pip install pyyaml)")

BASE_DOMAIN = "qudao.example.com"
EXISTING_SECRET = "qudao-prod"
VAR_DIR = "/app/var"  # QUDAO_VAR_DIR, also set in the Dockerfile
SECRET_KEYS = {
    "QUDAO_SECRET_KEY",
    "QUDAO_DATABASE_URL",
    "QUDAO_REDIS_URL",
    "QUDAO_STRIPE_SECRET_KEY",
    "QUDAO_STRIPE_WEBHOOK_SECRET",
}
REQUIRED_ENV = SECRET_KEYS | {"QUDAO_BASE_DOMAIN"}


class Checker:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.count = 0

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        self.count += 1
        if ok:
            print(f"  ok    {what}")
        else:
            msg = f"{what}" + (f": {detail}" if detail else "")
            print(f"  FAIL  {msg}")
            self.failures.append(msg)
        return ok


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        docs = [d for d in yaml.safe_load_all(fh) if d]
    for d in docs:
        if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d:
            raise SystemExit(f"check_helm.py: {path}: a document is not a Kubernetes object: {d!r:.200}")
    return docs


def component(doc: dict) -> str | None:
    return (doc.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/component")


def find(docs, kind, comp=None, api=None):
    return [
        d for d in docs
        if d["kind"] == kind
        and (comp is None or component(d) == comp)
        and (api is None or d["apiVersion"] == api)
    ]


def exactly_one(c: Checker, docs: list[dict], kind: str, comp: str, api: str | None = None) -> dict | None:
    """The one ``kind`` object of component ``comp``; unless there is exactly one, a failed check and None."""
    found = find(docs, kind, comp, api)
    what = f"{kind} ({api})" if api else kind
    return found[0] if c.check(len(found) == 1, f"{comp} {what} exists", f"found {len(found)}") else None


def annotations(doc: dict) -> dict:
    return doc.get("metadata", {}).get("annotations") or {}


def pod_spec(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]


def check_container_basics(c: Checker, owner: str, pod: dict) -> None:
    psc = pod.get("securityContext") or {}
    for ctr in pod.get("containers", []) + pod.get("initContainers", []):
        name = f"{owner} container {ctr['name']}"
        sc = ctr.get("securityContext") or {}
        non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True
        uid = sc.get("runAsUser", psc.get("runAsUser"))
        c.check(non_root and uid not in (0, None), f"{name} runs as non-root",
                f"runAsNonRoot={sc.get('runAsNonRoot', psc.get('runAsNonRoot'))} runAsUser={uid}")
        c.check(sc.get("allowPrivilegeEscalation") is False, f"{name} disallows privilege escalation")
        caps = (sc.get("capabilities") or {}).get("drop") or []
        c.check("ALL" in caps, f"{name} drops all capabilities", f"drop={caps}")
        res = ctr.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        c.check("cpu" in req and "memory" in req and "memory" in lim,
                f"{name} sets resources (requests cpu+memory, limits memory)", f"resources={res}")
        mounts = {m["mountPath"] for m in ctr.get("volumeMounts", [])}
        if sc.get("readOnlyRootFilesystem"):
            c.check({"/tmp", VAR_DIR} <= mounts, f"{name} has writable /tmp and {VAR_DIR} (read-only root)",
                    f"mounts={sorted(mounts)}")
        env = {e["name"] for e in ctr.get("env", [])}
        from_cm = bool(ctr.get("envFrom"))
        missing = REQUIRED_ENV - env - ({"QUDAO_BASE_DOMAIN"} if from_cm else set())
        c.check(not missing, f"{name} gets the QUDAO_* settings", f"missing {sorted(missing)}")


def refs(pod: dict):
    """(kind, name, key, optional) of every Secret/ConfigMap a pod reads."""
    for ctr in pod.get("containers", []):
        for e in ctr.get("env", []):
            vf = e.get("valueFrom") or {}
            for kind, field in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                if field in vf:
                    r = vf[field]
                    yield kind, r["name"], r["key"], bool(r.get("optional"))
        for ef in ctr.get("envFrom", []):
            for kind, field in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                if field in ef:
                    yield kind, ef[field]["name"], None, bool(ef[field].get("optional"))


def check_refs(c: Checker, owner: str, pod: dict, docs: list[dict], external: set[str]) -> None:
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs if d["kind"] in ("Secret", "ConfigMap")}
    for kind, name, key, optional in refs(pod):
        what = f"{owner} reads {kind} {name}" + (f" key {key}" if key else "")
        if kind == "Secret" and name in external:
            c.check(True, what + " (external Secret)")
            continue
        obj = by_name.get((kind, name))
        if obj is None:
            c.check(False, what, "no such object is rendered")
            continue
        if key is None:
            c.check(True, what)
            continue
        data = (obj.get("data") or {}) | (obj.get("stringData") or {})
        c.check(key in data or optional, what, f"key missing (has {sorted(data)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["hooks", "gitops", "existing-secret"], default="hooks")
    ap.add_argument("rendered")
    args = ap.parse_args()
    mode = args.mode
    docs = load(args.rendered)
    c = Checker()
    print(f"check_helm.py: {args.rendered} (mode {mode}): {len(docs)} objects: "
          + ", ".join(sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)))
    hooks = mode != "gitops"
    autoscaling = mode != "existing-secret"
    external = {EXISTING_SECRET} if mode == "existing-secret" else set()

    # Deployments
    deps = {}
    for comp, arg in (("web", "serve"), ("worker", "worker")):
        if (d := exactly_one(c, docs, "Deployment", comp, "apps/v1")) is None:
            continue
        deps[comp] = d
        name = f"{comp} Deployment {d['metadata']['name']}"
        pod = pod_spec(d)
        sel = d["spec"]["selector"]["matchLabels"]
        labels = d["spec"]["template"]["metadata"]["labels"]
        c.check(all(labels.get(k) == v for k, v in sel.items()), f"{name} selector matches its pod labels")
        ctr = pod["containers"][0]
        c.check(ctr.get("args", [None])[0] == arg, f"{name} runs `qudao {arg}`", f"args={ctr.get('args')}")
        c.check(bool(ctr.get("image")) and ":" in ctr["image"], f"{name} image is repository:tag", ctr.get("image", ""))
        if autoscaling:
            c.check("replicas" not in d["spec"], f"{name} leaves replicas to its HPA")
        else:
            c.check(isinstance(d["spec"].get("replicas"), int), f"{name} sets replicas (no HPA)")
        c.check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{name} pod securityContext runAsNonRoot")
        check_container_basics(c, name, pod)
        check_refs(c, name, pod, docs, external)

    web = deps.get("web")
    if web:
        ctr = pod_spec(web)["containers"][0]
        ports = {p.get("name"): p.get("containerPort") for p in ctr.get("ports", [])}
        c.check(ports.get("http") == 8000, "web container exposes http on 8000", f"ports={ports}")
        rp = (ctr.get("readinessProbe") or {}).get("httpGet") or {}
        lp = (ctr.get("livenessProbe") or {}).get("httpGet") or {}
        c.check(rp.get("path") == "/readyz" and rp.get("port") in ("http", 8000),
                "web readinessProbe is GET /readyz", f"readinessProbe={ctr.get('readinessProbe')}")
        c.check(lp.get("path") == "/healthz" and lp.get("port") in ("http", 8000),
                "web livenessProbe is GET /healthz", f"livenessProbe={ctr.get('livenessProbe')}")
        ann = web["spec"]["template"]["metadata"].get("annotations") or {}
        c.check("checksum/config" in ann and "checksum/secret" in ann, "web pods roll on config/secret change")

    # Migration Job
    jobs = find(docs, "Job", "migrations", "batch/v1")
    if c.check(len(jobs) == 1, "migration Job (batch/v1) exists", f"found {len(jobs)}"):
        job = jobs[0]
        name = f"migration Job {job['metadata']['name']}"
        pod = pod_spec(job)
        ctr = pod["containers"][0]
        c.check(ctr.get("args") == ["db", "upgrade"], f"{name} runs `qudao db upgrade`", f"args={ctr.get('args')}")
        c.check(pod.get("restartPolicy") in ("Never", "OnFailure"), f"{name} restartPolicy Never/OnFailure")
        ann = annotations(job)
        hook = ann.get("helm.sh/hook", "")
        if hooks:
            phases = {p.strip() for p in hook.split(",")}
            c.check({"pre-install", "pre-upgrade"} <= phases, f"{name} is a pre-install,pre-upgrade hook", f"helm.sh/hook={hook!r}")
            c.check("helm.sh/hook-delete-policy" in ann, f"{name} has a hook delete policy")
            c.check(pod.get("serviceAccountName") == "default",
                    f"{name} uses a ServiceAccount that exists before the release",
                    f"serviceAccountName={pod.get('serviceAccountName')}")
            weight = int(ann.get("helm.sh/hook-weight", "0"))
            # Everything the hook Job reads must itself be an earlier hook.
            for kind, ref, _key, _opt in refs(pod):
                if kind == "Secret" and ref in external:
                    continue
                objs = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == ref]
                if not objs:
                    continue  # reported by check_refs
                a = annotations(objs[0])
                c.check("pre-install" in a.get("helm.sh/hook", "")
                        and int(a.get("helm.sh/hook-weight", "0")) < weight,
                        f"{name}: {kind} {ref} exists before the hook runs (earlier hook)", f"annotations={a}")
        else:
            helm_ann = sorted(k for k in ann if k.startswith("helm.sh/"))
            c.check(not helm_ann, f"{name} is a plain Job (no helm.sh/hook annotations)", f"has {helm_ann}")
            c.check(job["metadata"]["name"] != "qudao-migrate", f"{name} name carries an image hash")
        check_container_basics(c, name, pod)
        check_refs(c, name, pod, docs, external)

    # HPAs
    hpas = find(docs, "HorizontalPodAutoscaler")
    if autoscaling:
        for comp in ("web", "worker"):
            if (h := exactly_one(c, hpas, "HorizontalPodAutoscaler", comp)) is None:
                continue
            c.check(h["apiVersion"] == "autoscaling/v2", f"{comp} HPA is autoscaling/v2", h["apiVersion"])
            tgt = h["spec"]["scaleTargetRef"]
            dep = deps.get(comp)
            c.check(dep is not None and tgt.get("kind") == "Deployment" and tgt.get("name") == dep["metadata"]["name"],
                    f"{comp} HPA targets the {comp} Deployment", f"scaleTargetRef={tgt}")
            c.check(h["spec"]["minReplicas"] <= h["spec"]["maxReplicas"] and bool(h["spec"].get("metrics")),
                    f"{comp} HPA has min<=max and metrics")
    else:
        c.check(not hpas, "no HPA when autoscaling is disabled", f"found {len(hpas)}")

    # PDBs
    for comp in ("web", "worker"):
        if (p := exactly_one(c, docs, "PodDisruptionBudget", comp)) is None:
            continue
        c.check(p["apiVersion"] == "policy/v1", f"{comp} PDB is policy/v1", p["apiVersion"])
        dep = deps.get(comp)
        if dep:
            labels = dep["spec"]["template"]["metadata"]["labels"]
            sel = p["spec"]["selector"]["matchLabels"]
            c.check(all(labels.get(k) == v for k, v in sel.items()), f"{comp} PDB selects the {comp} pods")

    # Service
    svcs = find(docs, "Service", "web", "v1")
    svc = None
    if c.check(len(svcs) == 1, "web Service exists", f"found {len(svcs)}"):
        svc = svcs[0]
        if web:
            labels = web["spec"]["template"]["metadata"]["labels"]
            sel = svc["spec"]["selector"]
            c.check(all(labels.get(k) == v for k, v in sel.items()), "web Service selects the web pods")
            wk = deps.get("worker")
            if wk:
                wl = wk["spec"]["template"]["metadata"]["labels"]
                c.check(not all(wl.get(k) == v for k, v in sel.items()), "web Service does not select worker pods")
        c.check(any(p.get("targetPort") in ("http", 8000) for p in svc["spec"]["ports"]), "web Service targets port http")

    # Ingress
    ings = find(docs, "Ingress", None, "networking.k8s.io/v1")
    if c.check(len(ings) == 1, "Ingress (networking.k8s.io/v1) exists", f"found {len(ings)}"):
        rules = ings[0]["spec"].get("rules", [])
        hosts = [r.get("host") for r in rules]
        c.check(BASE_DOMAIN in hosts, f"Ingress serves {BASE_DOMAIN}", f"hosts={hosts}")
        c.check(f"*.{BASE_DOMAIN}" in hosts, f"Ingress serves wildcard *.{BASE_DOMAIN}", f"hosts={hosts}")
        if svc:
            backends = {
                p["backend"]["service"]["name"]
                for r in rules for p in r.get("http", {}).get("paths", [])
            }
            c.check(backends == {svc["metadata"]["name"]}, "Ingress routes to the web Service", f"backends={backends}")

    # ConfigMap / Secret
    cms = [d for d in find(docs, "ConfigMap") if component(d) == "config"]
    if c.check(len(cms) == 1, "ConfigMap exists", f"found {len(cms)}"):
        data = cms[0].get("data", {})
        c.check(data.get("QUDAO_BASE_DOMAIN") == BASE_DOMAIN, "ConfigMap sets QUDAO_BASE_DOMAIN", f"data={data}")
        c.check(data.get("QUDAO_VAR_DIR") == VAR_DIR, f"ConfigMap sets QUDAO_VAR_DIR={VAR_DIR}", f"data={data}")
    secrets = [d for d in find(docs, "Secret") if component(d) == "config"]
    if c.check(len(secrets) == 1, "Secret exists", f"found {len(secrets)}"):
        keys = set(secrets[0].get("data") or {})
        if mode == "hooks":
            want = {"QUDAO_SECRET_KEY", "QUDAO_DATABASE_URL", "QUDAO_REDIS_URL"}
        elif mode == "gitops":
            want = SECRET_KEYS
        else:  # app secrets come from the existing Secret
            want = {"QUDAO_DATABASE_URL", "QUDAO_REDIS_URL"}
            c.check(not keys & {"QUDAO_SECRET_KEY", "QUDAO_STRIPE_SECRET_KEY"},
                    "Secret leaves app keys to the existing Secret", f"keys={sorted(keys)}")
        c.check(want <= keys, f"Secret has {', '.join(sorted(want))}", f"keys={sorted(keys)}")

    # Nothing runs as root, anywhere.
    for d in docs:
        if d["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob"):
            spec = d["spec"]["jobTemplate"]["spec"] if d["kind"] == "CronJob" else d["spec"]
            psc = spec["template"]["spec"].get("securityContext") or {}
            c.check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0,
                    f"{d['kind']} {d['metadata']['name']} pod runs as non-root")

    print()
    if c.failures:
        print(f"check_helm.py: {len(c.failures)} of {c.count} checks FAILED ({mode}):", file=sys.stderr)
        for f in c.failures:
            print(f"  - {f}", file=sys.stderr)
        return 1
    print(f"check_helm.py: all {c.count} checks passed ({mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
