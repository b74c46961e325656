{{/* vim: set filetype=mustache: */}}

{{- define "qudao.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "qudao.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "qudao.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels; pass (dict "ctx" $ "component" "web") */}}
{{- define "qudao.selectorLabels" -}}
app.kubernetes.io/name: {{ include "qudao.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/* Common labels; pass (dict "ctx" $ "component" "web") */}}
{{- define "qudao.labels" -}}
helm.sh/chart: {{ include "qudao.chart" .ctx }}
{{ include "qudao.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: qudao
{{- end -}}

{{- define "qudao.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}
{{- end -}}

{{/* The migration hook Job runs before the chart's ServiceAccount exists. */}}
{{- define "qudao.migrationServiceAccountName" -}}
{{- if and .Values.migrations.useHooks .Values.serviceAccount.create -}}
default
{{- else -}}
{{- include "qudao.serviceAccountName" . -}}
{{- end -}}
{{- end -}}

{{- define "qudao.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "qudao.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "qudao.configMapName" -}}
{{- include "qudao.fullname" . -}}
{{- end -}}

{{/* Secret created by this chart (only the keys not taken from existing Secrets). */}}
{{- define "qudao.secretName" -}}
{{- include "qudao.fullname" . -}}
{{- end -}}

{{/* Names of the ConfigMap / Secret copies the migration hook Job reads
     (hooks run before the release's regular resources exist). */}}
{{- define "qudao.migrationConfigName" -}}
{{- printf "%s-migrate" (include "qudao.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Secret key: the value, else the one in the live Secret (upgrades), else a
random one generated once per render (memoised so every template agrees).
*/}}
{{- define "qudao.secretKeyValue" -}}
{{- if .Values.secrets.secretKey -}}
{{- .Values.secrets.secretKey -}}
{{- else -}}
{{- if not (hasKey .Values.secrets "_generatedSecretKey") -}}
{{- $value := "" -}}
{{- $live := lookup "v1" "Secret" .Release.Namespace (include "qudao.secretName" .) -}}
{{- if and $live $live.data (hasKey $live.data .Values.secrets.keys.secretKey) -}}
{{- $value = index $live.data .Values.secrets.keys.secretKey | b64dec -}}
{{- else -}}
{{- $value = randAlphaNum 64 -}}
{{- end -}}
{{- $_ := set .Values.secrets "_generatedSecretKey" $value -}}
{{- end -}}
{{- .Values.secrets._generatedSecretKey -}}
{{- end -}}
{{- end -}}

{{/* Data (key: base64) of the chart's Secret; pass the root context. */}}
{{- define "qudao.secretData" -}}
{{- $ctx := . -}}
{{- $v := $ctx.Values -}}
{{- if not $v.secrets.existingSecret }}
{{ $v.secrets.keys.secretKey }}: {{ include "qudao.secretKeyValue" $ctx | b64enc | quote }}
{{- if $v.secrets.stripeSecretKey }}
{{ $v.secrets.keys.stripeSecretKey }}: {{ $v.secrets.stripeSecretKey | b64enc | quote }}
{{- end }}
{{- if $v.secrets.stripeWebhookSecret }}
{{ $v.secrets.keys.stripeWebhookSecret }}: {{ $v.secrets.stripeWebhookSecret | b64enc | quote }}
{{- end }}
{{- end }}
{{- if not $v.postgresql.existingSecret }}
{{- if not $v.postgresql.url }}
{{- fail "postgresql.url or postgresql.existingSecret is required" }}
{{- end }}
QUDAO_DATABASE_URL: {{ $v.postgresql.url | b64enc | quote }}
{{- end }}
{{- if and $v.postgresql.migrationUrl (not $v.postgresql.migrationExistingSecret) }}
QUDAO_MIGRATION_DATABASE_URL: {{ $v.postgresql.migrationUrl | b64enc | quote }}
{{- end }}
{{- if not $v.redis.existingSecret }}
{{- if not $v.redis.url }}
{{- fail "redis.url or redis.existingSecret is required" }}
{{- end }}
QUDAO_REDIS_URL: {{ $v.redis.url | b64enc | quote }}
{{- end }}
{{- end -}}

{{/* Is a chart-made Secret needed at all? Returns "true" or "". */}}
{{- define "qudao.needsSecret" -}}
{{- $v := .Values -}}
{{- $migrationUrl := and $v.postgresql.migrationUrl (not $v.postgresql.migrationExistingSecret) -}}
{{- if or (not $v.secrets.existingSecret) (not $v.postgresql.existingSecret) (not $v.redis.existingSecret) $migrationUrl -}}
true
{{- end -}}
{{- end -}}

{{- define "qudao.configData" -}}
QUDAO_BASE_DOMAIN: {{ .Values.config.baseDomain | quote }}
QUDAO_VAR_DIR: {{ .Values.config.varDir | quote }}
QUDAO_DB_APP_ROLE: {{ .Values.config.dbAppRole | quote }}
QUDAO_LOG_JSON: {{ ternary "1" "0" .Values.config.logJson | quote }}
QUDAO_PLATFORM_FEE_PERCENT: {{ .Values.config.platformFeePercent | toString | quote }}
{{- range $k, $val := .Values.config.extra }}
{{ $k }}: {{ $val | toString | quote }}
{{- end }}
{{- end -}}

{{/*
Environment for every Qudao container.
Pass (dict "ctx" $ "migration" bool); the migration hook Job reads the
"-migrate" copies of the ConfigMap/Secret.
*/}}
{{- define "qudao.env" -}}
{{- $ctx := .ctx -}}
{{- $v := $ctx.Values -}}
{{- $hook := and .migration $v.migrations.useHooks -}}
{{- $chartSecret := ternary (include "qudao.migrationConfigName" $ctx) (include "qudao.secretName" $ctx) $hook -}}
{{- $appSecret := default $chartSecret $v.secrets.existingSecret -}}
- name: QUDAO_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $appSecret }}
      key: {{ $v.secrets.keys.secretKey }}
- name: QUDAO_STRIPE_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $appSecret }}
      key: {{ $v.secrets.keys.stripeSecretKey }}
      optional: true
- name: QUDAO_STRIPE_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $appSecret }}
      key: {{ $v.secrets.keys.stripeWebhookSecret }}
      optional: true
{{- if and .migration (or $v.postgresql.migrationUrl $v.postgresql.migrationExistingSecret) }}
- name: QUDAO_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default $chartSecret $v.postgresql.migrationExistingSecret }}
      key: {{ ternary $v.postgresql.migrationExistingSecretKey "QUDAO_MIGRATION_DATABASE_URL" (not (empty $v.postgresql.migrationExistingSecret)) }}
{{- else }}
- name: QUDAO_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default $chartSecret $v.postgresql.existingSecret }}
      key: {{ ternary $v.postgresql.existingSecretKey "QUDAO_DATABASE_URL" (not (empty $v.postgresql.existingSecret)) }}
{{- end }}
- name: QUDAO_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ default $chartSecret $v.redis.existingSecret }}
      key: {{ ternary $v.redis.existingSecretKey "QUDAO_REDIS_URL" (not (empty $v.redis.existingSecret)) }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "qudao.envFrom" -}}
{{- $ctx := .ctx -}}
{{- $hook := and .migration $ctx.Values.migrations.useHooks -}}
- configMapRef:
    name: {{ ternary (include "qudao.migrationConfigName" $ctx) (include "qudao.configMapName" $ctx) $hook }}
{{- with $ctx.Values.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Volumes for every Qudao pod; pass (dict "ctx" $ "migration" bool).
/tmp is scratch; /app/var (QUDAO_VAR_DIR) holds uploaded media and is the
shared volume when persistence is on. The migration Job never mounts the
claim (at pre-install it does not exist yet, and it needs no media).
*/}}
{{- define "qudao.volumes" -}}
{{- $v := .ctx.Values -}}
- name: tmp
  emptyDir: {}
- name: var
{{- if and $v.persistence.enabled (not .migration) }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-var" (include "qudao.fullname" .ctx)) $v.persistence.existingClaim }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- with $v.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "qudao.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: var
  mountPath: {{ .Values.config.varDir }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Pod template annotations that roll pods when config or secrets change. */}}
{{- define "qudao.checksums" -}}
checksum/config: {{ include "qudao.configData" . | sha256sum }}
checksum/secret: {{ include "qudao.secretData" . | sha256sum }}
{{- end -}}
