{{/* Names and labels shared by every FaceMesh object. */}}
{{- define "facemesh.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "facemesh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: facemesh
{{- end -}}

{{/* Selector labels of one component: include "facemesh.selector" (dict "root" $ "component" "gateway") */}}
{{- define "facemesh.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The four services: name, gRPC port, HTTP/1.1 port (health, readiness, /metrics). */}}
{{- define "facemesh.components" -}}
gateway: { grpc: 5000, http: 5001 }
detector: { grpc: 5010, http: 5011 }
embedder: { grpc: 5020, http: 5021 }
matcher: { grpc: 5030, http: 5031 }
{{- end -}}

{{- define "facemesh.busEnv" -}}
- { name: Bus__Transport, value: RabbitMq }
- { name: Bus__Host, value: {{ .Values.rabbitmq.host | quote }} }
- { name: Bus__Port, value: {{ .Values.rabbitmq.port | quote }} }
- { name: Bus__VirtualHost, value: {{ .Values.rabbitmq.virtualHost | quote }} }
- { name: Bus__Username, value: {{ .Values.rabbitmq.username | quote }} }
- name: Bus__Password
  valueFrom: { secretKeyRef: { name: {{ .Values.rabbitmq.existingSecret | quote }}, key: {{ .Values.rabbitmq.passwordKey | quote }} } }
{{- end -}}
