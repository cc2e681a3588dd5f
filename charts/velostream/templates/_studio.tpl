{{/* Velostream Studio (off by default: studio.enabled). */}}
{{- define "velostream.studio.fullname" -}}
{{- printf "%s-studio" (include "velostream.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "velostream.studio.selectorLabels" -}}
app.kubernetes.io/name: velostream
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: studio
{{- end -}}

{{/* The namespace the Studio keeps notebooks in and deploys to. */}}
{{- define "velostream.studio.namespace" -}}
{{- default .Release.Namespace .Values.studio.namespace -}}
{{- end -}}
