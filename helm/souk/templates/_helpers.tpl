{{- define "souk.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "souk.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "souk.gatewaySelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "souk.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The environment every Souk container gets: settings and secret references. */}}
{{- define "souk.env" -}}
- name: SOUK_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.databaseUrl.name }}
      key: {{ .Values.secrets.databaseUrl.key }}
- name: SOUK_PLATFORM_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.platformDatabaseUrl.name }}
      key: {{ .Values.secrets.platformDatabaseUrl.key }}
- name: SOUK_MONGODB_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.mongodbUrl.name }}
      key: {{ .Values.secrets.mongodbUrl.key }}
- name: SOUK_JWT_PRIVATE_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.jwtPrivateKey.name }}
      key: {{ .Values.secrets.jwtPrivateKey.key }}
{{- end -}}

{{- define "souk.redisSelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end -}}

{{/* The Redis the gateways share their rate limits through: the chart's own, or
     `redis.url`; empty when neither (each gateway then limits on its own). */}}
{{- define "souk.redisUrl" -}}
{{- if .Values.redis.enabled -}}
redis://{{ include "souk.fullname" . }}-redis:6379
{{- else -}}
{{ .Values.redis.url }}
{{- end -}}
{{- end -}}

{{/* How many gateways may serve at once: their share of each rate is what each
     admits while Redis is unreachable. */}}
{{- define "souk.replicas" -}}
{{- if .Values.gateway.autoscaling.enabled -}}
{{ .Values.gateway.autoscaling.maxReplicas }}
{{- else -}}
{{ .Values.gateway.replicas }}
{{- end -}}
{{- end -}}
