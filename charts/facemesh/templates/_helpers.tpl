{{/* Names and labels shared by every FaceMesh object. */}}
{{- define "facemesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The prefix of every object's name. 44 characters at most: the Matcher's StatefulSet (<fullname>-matcher)
must stay within 52, or the controller-revision-hash label of its pod would pass the 63 of a label value.
*/}}
{{- define "facemesh.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 44 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "facemesh.name" . -}}
{{- if contains $name .Release.Name -}}{{ .Release.Name | trunc 44 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name $name | trunc 44 | trimSuffix "-" }}{{- end -}}
{{- end -}}
{{- end -}}

{{- define "facemesh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ include "facemesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: facemesh
{{- end -}}

{{/* Selector labels of one component: include "facemesh.selector" (dict "root" $ "component" "gateway") */}}
{{- define "facemesh.selector" -}}
app.kubernetes.io/name: {{ include "facemesh.name" .root }}
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

{{/* The embedded Matcher is a StatefulSet (one writer, its own volume); every other workload a Deployment. */}}
{{- define "facemesh.workloadKind" -}}
{{- if and (eq .component "matcher") (eq .root.Values.matcher.store "Embedded") }}StatefulSet{{ else }}Deployment{{ end -}}
{{- end -}}

{{/* A component's image: include "facemesh.image" (dict "root" $ "component" "gateway"). A digest wins over the tag. */}}
{{- define "facemesh.image" -}}
{{- $v := .root.Values -}}
{{- $own := (get $v .component).image -}}
{{- $repository := default (printf "%s/facemesh-%s" $v.image.registry .component) $own.repository -}}
{{- if $own.digest -}}
{{ $repository }}@{{ $own.digest }}
{{- else -}}
{{ $repository }}:{{ default (default .root.Chart.AppVersion $v.image.tag) $own.tag }}
{{- end -}}
{{- end -}}

{{/*
The hash of what one component's pod reads, so that a change elsewhere (a dashboard, another
component, a replica count) restarts none of its pods: its own values but those that shape only its
Service, HPA, PDB or Ingress, and the shared values it uses. Never monitoring.*.
*/}}
{{- define "facemesh.checksum" -}}
{{- $v := .root.Values -}}
{{- $own := omit (get $v .component) "replicas" "autoscaling" "podDisruptionBudget" "service" "ingress" -}}
{{- $reads := dict "component" $own "image" $v.image "imagePullSecrets" $v.imagePullSecrets "otel" $v.otel
      "podSecurityContext" $v.podSecurityContext "securityContext" $v.securityContext "fleetTokenSecret" $v.security.fleetTokenSecret -}}
{{- if eq .component "gateway" -}}
{{- $_ := set $reads "security" $v.security -}}
{{- $_ := set $reads "rabbitmq" $v.rabbitmq -}}
{{- $_ := set $reads "clusterDomain" $v.clusterDomain -}}
{{- else if eq .component "matcher" -}}
{{- $_ := set $reads "rabbitmq" $v.rabbitmq -}}
{{- $_ := set $reads "qdrant" $v.qdrant -}}
{{- else -}}
{{- $_ := set $reads "models" $v.models -}}
{{- end -}}
{{- toJson $reads | sha256sum | trunc 16 -}}
{{- end -}}

{{/* A memory quantity in MiB ("1536Mi", "1Gi", "1.5Gi"): the schema admits only Mi and Gi. */}}
{{- define "facemesh.mebibytes" -}}
{{- $q := toString . -}}
{{- if hasSuffix "Gi" $q -}}{{ mulf (float64 (trimSuffix "Gi" $q)) 1024 }}
{{- else if hasSuffix "Mi" $q -}}{{ float64 (trimSuffix "Mi" $q) }}
{{- else -}}{{ fail (printf "memory quantity %q: write it in Mi or Gi (e.g. 1536Mi, 2Gi)" $q) }}
{{- end -}}
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

{{/* The `helm test` pod runs only with both an API key and the photos: the chart carries neither. */}}
{{- define "facemesh.selftest" -}}
{{- if and .Values.tests.enabled .Values.tests.apiKeySecret .Values.tests.photosConfigMap }}true{{ end -}}
{{- end -}}
