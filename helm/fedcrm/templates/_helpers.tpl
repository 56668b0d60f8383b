{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "fedcrm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of every object name: the release name, with the chart name appended
unless the release name already contains it. Short enough that the longest
suffix ("-federation-ca", 14 characters) still fits in 63.
*/}}
{{- define "fedcrm.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 49 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 49 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 49 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "fedcrm.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "fedcrm.labels" -}}
helm.sh/chart: {{ include "fedcrm.chart" . }}
app.kubernetes.io/part-of: fedcrm
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "operator"). */}}
{{- define "fedcrm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fedcrm.name" .ctx }}-{{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "fedcrm.componentLabels" -}}
{{ include "fedcrm.labels" .ctx }}
{{ include "fedcrm.selectorLabels" . }}
{{- end }}

{{- define "fedcrm.operator.fullname" -}}
{{- include "fedcrm.fullname" . }}-operator
{{- end }}

{{- define "fedcrm.aggregator.fullname" -}}
{{- include "fedcrm.fullname" . }}-aggregator
{{- end }}

{{- define "fedcrm.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "fedcrm.operator.fullname" .) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "fedcrm.aggregator.serviceAccountName" -}}
{{- if .Values.aggregator.serviceAccount.create }}
{{- default (include "fedcrm.aggregator.fullname" .) .Values.aggregator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.aggregator.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image: (dict "ctx" $ "image" .Values.operator.image) */}}
{{- define "fedcrm.image" -}}
{{- printf "%s/%s:%s" .ctx.Values.image.registry .image.repository (default .ctx.Chart.AppVersion .image.tag) }}
{{- end }}

{{/* The Secrets holding each certificate, whatever tls.mode made them. */}}
{{- define "fedcrm.caSecretName" -}}
{{- if and (eq .Values.tls.mode "existing") .Values.tls.existing.caSecret }}
{{- .Values.tls.existing.caSecret }}
{{- else }}
{{- include "fedcrm.fullname" . }}-federation-ca
{{- end }}
{{- end }}

{{- define "fedcrm.aggregatorTlsSecretName" -}}
{{- if eq .Values.tls.mode "existing" }}
{{- required "tls.existing.aggregatorSecret is required when tls.mode is existing" .Values.tls.existing.aggregatorSecret }}
{{- else }}
{{- include "fedcrm.aggregator.fullname" . }}-tls
{{- end }}
{{- end }}

{{- /* The operator's coordinator certificate Secret, or "" when the
operator issues its own from the federation CA at start (generate mode, and
existing mode without tls.existing.coordinatorSecret). */}}
{{- define "fedcrm.coordinatorTlsSecretName" -}}
{{- if .Values.tls.existing.coordinatorSecret }}
{{- .Values.tls.existing.coordinatorSecret }}
{{- else if eq .Values.tls.mode "certManager" }}
{{- include "fedcrm.operator.fullname" . }}-coordinator-tls
{{- end }}
{{- end }}

{{/* In-cluster DNS names of the aggregator Service. */}}
{{- define "fedcrm.aggregator.dnsNames" -}}
{{- $svc := include "fedcrm.aggregator.fullname" . }}
{{- $names := list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) }}
{{- concat $names .Values.tls.aggregatorDnsNames | toJson }}
{{- end }}

{{- define "fedcrm.aggregator.url" -}}
{{- printf "https://%s.%s.svc:%d" (include "fedcrm.aggregator.fullname" .) .Release.Namespace (int .Values.aggregator.port) }}
{{- end }}

{{/* The restricted Pod Security Standard, for every fedcrm container. */}}
{{- define "fedcrm.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "fedcrm.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}
