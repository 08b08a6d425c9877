{{/*
One component's pod template, the same for its Deployment or StatefulSet:
include "facemesh.podTemplate" (dict "root" $ "component" "gateway")
*/}}
{{- define "facemesh.podTemplate" -}}
{{- $root := .root -}}
{{- $name := .component -}}
{{- $v := $root.Values -}}
{{- $c := get $v $name -}}
{{- $full := include "facemesh.fullname" $root -}}
{{- $ports := get (include "facemesh.components" $root | fromYaml) $name -}}
{{- $selector := include "facemesh.selector" (dict "root" $root "component" $name) | fromYaml -}}
{{- $gpu := and (eq $name "embedder") $c.gpu.enabled -}}
{{- $embedded := and (eq $name "matcher") (eq $c.store "Embedded") -}}
{{- $domain := printf "%s.svc.%s" $root.Release.Namespace $v.clusterDomain -}}
{{- if ge (int $c.preStopSleepSeconds) (int $c.terminationGracePeriodSeconds) }}
{{- fail (printf "%s.preStopSleepSeconds (%d) must be shorter than %s.terminationGracePeriodSeconds (%d): the sleep counts against the grace period, and the process needs time to finish its calls after it" $name (int $c.preStopSleepSeconds) $name (int $c.terminationGracePeriodSeconds)) }}
{{- end -}}
metadata:
  labels:
    {{- include "facemesh.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $name }}
    {{- with $c.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # Quoted: a hash of digits only would otherwise be read as a number, which an annotation cannot be.
    checksum/config: {{ include "facemesh.checksum" (dict "root" $root "component" $name) | quote }}
    {{- with $c.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ $full }}-{{ $name }}
  automountServiceAccountToken: false
  {{- with $v.imagePullSecrets }}
  imagePullSecrets: {{ toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  {{- $nodeSelector := $c.nodeSelector | default dict | deepCopy }}
  {{- $tolerations := $c.tolerations | default list }}
  {{- if $gpu }}
  {{- $nodeSelector = merge $nodeSelector ($c.gpu.nodeSelector | default dict) }}
  {{- $tolerations = concat $tolerations ($c.gpu.tolerations | default list) }}
  {{- end }}
  {{- with $nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $c.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    {{- /* A constraint without its own selector spreads this component's pods. */}}
    - {{ merge (deepCopy .) (dict "labelSelector" (dict "matchLabels" $selector)) | toYaml | nindent 6 | trim }}
    {{- end }}
  {{- end }}
  containers:
    - name: {{ $name }}
      image: {{ include "facemesh.image" (dict "root" $root "component" $name) | quote }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      securityContext:
        {{- toYaml $v.securityContext | nindent 8 }}
      ports:
        - { name: grpc, containerPort: {{ $ports.grpc }}, protocol: TCP }
        - { name: http, containerPort: {{ $ports.http }}, protocol: TCP }
      env:
        - { name: Endpoints__Host, value: "0.0.0.0" }
        - { name: Endpoints__GrpcPort, value: {{ $ports.grpc | quote }} }
        - { name: Endpoints__HttpPort, value: {{ $ports.http | quote }} }
        - { name: Fleet__TokenFile, value: /etc/facemesh/fleet/token }
        # Where each span and metric comes from, for a collector that does not add it (declared before the
        # variable that refers to them).
        - name: POD_NAME
          valueFrom: { fieldRef: { fieldPath: metadata.name } }
        - name: POD_NAMESPACE
          valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
        - name: NODE_NAME
          valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
        - { name: OTEL_RESOURCE_ATTRIBUTES, value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),k8s.node.name=$(NODE_NAME)" }
        {{- if $v.otel.endpoint }}
        - { name: OTEL_EXPORTER_OTLP_ENDPOINT, value: {{ $v.otel.endpoint | quote }} }
        - { name: OTEL_EXPORTER_OTLP_PROTOCOL, value: {{ $v.otel.protocol | quote }} }
        {{- if $v.otel.headersSecret }}
        - name: OTEL_EXPORTER_OTLP_HEADERS
          valueFrom: { secretKeyRef: { name: {{ $v.otel.headersSecret | quote }}, key: headers } }
        {{- end }}
        {{- end }}
        {{- if eq $name "gateway" }}
        # Headless Services: DNS answers with every ready pod, and the Gateway balances its calls over them
        # (one HTTP/2 connection to a ClusterIP would pin all of them to one pod).
        - { name: Gateway__DetectorAddress, value: "dns:///{{ $full }}-detector.{{ $domain }}:5010" }
        - { name: Gateway__EmbedderAddress, value: "dns:///{{ $full }}-embedder.{{ $domain }}:5020" }
        - { name: Gateway__MatcherAddress, value: "dns:///{{ $full }}-matcher.{{ $domain }}:5030" }
        - { name: Gateway__ResolveIntervalSeconds, value: {{ $c.settings.resolveIntervalSeconds | quote }} }
        - { name: Gateway__Auth__ApiKeysFile, value: /etc/facemesh/api-keys/keys.json }
        - { name: Gateway__Auth__RequestsPerSecond, value: {{ $v.security.rateLimit.requestsPerSecond | quote }} }
        - { name: Gateway__Auth__Burst, value: {{ $v.security.rateLimit.burst | quote }} }
        {{- with $v.security.jwt }}
        {{- if .issuer }}
        - { name: Gateway__Auth__Jwt__Issuer, value: {{ .issuer | quote }} }
        - { name: Gateway__Auth__Jwt__Audience, value: {{ required "security.jwt.audience is required with security.jwt.issuer" .audience | quote }} }
        - { name: Gateway__Auth__Jwt__TenantClaim, value: {{ .tenantClaim | quote }} }
        - { name: Gateway__Auth__Jwt__RoleClaim, value: {{ .roleClaim | quote }} }
        - name: Gateway__Auth__Jwt__PublicKeysPem__0
          valueFrom: { secretKeyRef: { name: {{ required "security.jwt.publicKeySecret is required with security.jwt.issuer" .publicKeySecret | quote }}, key: public.pem } }
        {{- end }}
        {{- end }}
        {{- if $v.security.tlsSecret }}
        - { name: Endpoints__TlsCertificateFile, value: /etc/facemesh/tls/tls.crt }
        - { name: Endpoints__TlsKeyFile, value: /etc/facemesh/tls/tls.key }
        {{- end }}
        - { name: Gateway__DefaultFar, value: {{ $c.settings.defaultFar | quote }} }
        - { name: Gateway__FlipAugmentation, value: {{ $c.settings.flipAugmentation | quote }} }
        - { name: Gateway__EnrollmentWaitSeconds, value: {{ $c.settings.enrollmentWaitSeconds | quote }} }
        {{- include "facemesh.busEnv" $root | nindent 8 }}
        {{- else if eq $name "detector" }}
        - { name: Detector__Pack, value: "{{ $v.models.mountPath }}/{{ $v.models.pack }}" }
        - { name: Detector__DecodeBudgetMegabytes, value: {{ $c.decodeBudgetMegabytes | quote }} }
        - { name: Detector__CrowdStrategy, value: {{ $c.crowdStrategy | quote }} }
        - { name: Detector__CrowdMirroredPass, value: {{ $c.crowdMirroredPass | quote }} }
        {{- if $c.livenessPack }}
        - { name: Detector__LivenessPack, value: "{{ $v.models.mountPath }}/{{ $c.livenessPack }}" }
        {{- end }}
        {{- else if eq $name "embedder" }}
        - { name: Embedder__Pack, value: "{{ $v.models.mountPath }}/{{ $v.models.pack }}" }
        # CUDA on the GPU pool; without a usable GPU the model falls back to the CPU and FaceMeshEmbedderOnCpu fires.
        - { name: Embedder__Provider, value: {{ ternary "Cuda" "Cpu" $gpu | quote }} }
        {{- else if eq $name "matcher" }}
        - { name: Matcher__Store, value: {{ $c.store | quote }} }
        {{- if $embedded }}
        - { name: Matcher__Embedded__DataDirectory, value: /data }
        - { name: Matcher__Embedded__Int8Scan, value: {{ $c.int8Scan | quote }} }
        {{- else }}
        - { name: Matcher__Qdrant__Url, value: {{ required "qdrant.url is required when matcher.store is Qdrant" $v.qdrant.url | quote }} }
        - { name: Matcher__Qdrant__CollectionPrefix, value: {{ $v.qdrant.collectionPrefix | quote }} }
        - { name: Matcher__Qdrant__HnswM, value: {{ $v.qdrant.hnswM | quote }} }
        - { name: Matcher__Qdrant__HnswEf, value: {{ $v.qdrant.hnswEf | quote }} }
        {{- if $v.qdrant.existingSecret }}
        - name: Matcher__Qdrant__ApiKey
          valueFrom: { secretKeyRef: { name: {{ $v.qdrant.existingSecret | quote }}, key: {{ $v.qdrant.apiKeyKey | quote }} } }
        {{- end }}
        {{- end }}
        {{- include "facemesh.busEnv" $root | nindent 8 }}
        {{- end }}
        {{- with $c.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- $probe := dict "httpGet" (dict "path" "/readyz" "port" "http") "periodSeconds" 5 }}
      startupProbe:
        {{- mergeOverwrite (deepCopy $probe) (dict "failureThreshold" 60) (deepCopy ($c.startupProbe | default dict)) | toYaml | nindent 8 }}
      readinessProbe:
        {{- mergeOverwrite (deepCopy $probe) (deepCopy ($c.readinessProbe | default dict)) | toYaml | nindent 8 }}
      livenessProbe:
        {{- mergeOverwrite (dict "httpGet" (dict "path" "/healthz" "port" "http") "periodSeconds" 10 "failureThreshold" 3) (deepCopy ($c.livenessProbe | default dict)) | toYaml | nindent 8 }}
      {{- if gt (int $c.preStopSleepSeconds) 0 }}
      # Keeps serving while the endpoints controller, the ingress and DNS drop the pod; then the process
      # stops accepting, finishes its calls in flight and exits (the images have no shell: the kubelet sleeps).
      lifecycle:
        preStop:
          sleep: { seconds: {{ $c.preStopSleepSeconds }} }
      {{- end }}
      resources:
        {{- $resources := deepCopy $c.resources }}
        {{- if $gpu }}
        {{- $_ := set $resources "limits" (merge (dict "nvidia.com/gpu" $c.gpu.count) ($resources.limits | default dict)) }}
        {{- end }}
        {{- toYaml $resources | nindent 8 }}
      volumeMounts:
        - { name: tmp, mountPath: /tmp }
        - { name: fleet-token, mountPath: /etc/facemesh/fleet, readOnly: true }
        {{- if eq $name "gateway" }}
        - { name: api-keys, mountPath: /etc/facemesh/api-keys, readOnly: true }
        {{- if $v.security.tlsSecret }}
        - { name: tls, mountPath: /etc/facemesh/tls, readOnly: true }
        {{- end }}
        {{- end }}
        {{- if or (eq $name "detector") (eq $name "embedder") }}
        - { name: models, mountPath: {{ $v.models.mountPath }}, readOnly: true }
        {{- end }}
        {{- if $embedded }}
        - { name: data, mountPath: /data }
        {{- end }}
  volumes:
    - { name: tmp, emptyDir: { sizeLimit: 256Mi } }
    - { name: fleet-token, secret: { secretName: {{ $v.security.fleetTokenSecret | quote }}, defaultMode: 0440 } }
    {{- if eq $name "gateway" }}
    - { name: api-keys, secret: { secretName: {{ $v.security.apiKeysSecret | quote }}, defaultMode: 0440 } }
    {{- if $v.security.tlsSecret }}
    - { name: tls, secret: { secretName: {{ $v.security.tlsSecret | quote }}, defaultMode: 0440 } }
    {{- end }}
    {{- end }}
    {{- if or (eq $name "detector") (eq $name "embedder") }}
    {{- if $v.models.image }}
    - { name: models, image: { reference: {{ $v.models.image | quote }}, pullPolicy: IfNotPresent } }
    {{- else }}
    - { name: models, persistentVolumeClaim: { claimName: {{ $v.models.existingClaim | quote }}, readOnly: true } }
    {{- end }}
    {{- end }}
    {{- if and $embedded $c.persistence.existingClaim }}
    - { name: data, persistentVolumeClaim: { claimName: {{ $c.persistence.existingClaim | quote }} } }
    {{- end }}
{{- end -}}
