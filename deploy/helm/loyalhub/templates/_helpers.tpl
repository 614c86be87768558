{{/*
The name of every object of the release.
*/}}
{{- define "loyalhub.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "loyalhub.selectorLabels" -}}
app.kubernetes.io/name: loyalhub
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "loyalhub.labels" -}}
{{ include "loyalhub.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
The config file read as YAML, for the keys the chart needs. The ConfigMap
holds the text as given: Helm's YAML reader takes a key "on" for true.
*/}}
{{- define "loyalhub.configValues" -}}
{{- if not (kindIs "string" (default "" .Values.config)) -}}
{{- fail "config is the text of loyalhub.yaml (config: | and the file below it, or --set-file config=FILE), not a map" -}}
{{- end -}}
{{- $cfg := fromYaml (default "" .Values.config) -}}
{{- if hasKey $cfg "Error" -}}
{{- fail (printf "config is not a YAML map: %s" (get $cfg "Error")) -}}
{{- end -}}
{{- toJson $cfg -}}
{{- end -}}

{{/*
The backends the hub runs on, as the config says or the hub's defaults.
*/}}
{{- define "loyalhub.queueBackend" -}}
{{- dig "queue" "backend" "embedded" (include "loyalhub.configValues" . | fromJson) -}}
{{- end -}}

{{- define "loyalhub.storeDriver" -}}
{{- dig "store" "driver" "sqlite" (include "loyalhub.configValues" . | fromJson) -}}
{{- end -}}

{{/*
"true" when the config allows several replicas: a shared queue (NATS or
PostgreSQL) and PostgreSQL for the store. The embedded queue and SQLite
keep their files in one pod's data volume.
*/}}
{{- define "loyalhub.scaleOut" -}}
{{- $queue := include "loyalhub.queueBackend" . -}}
{{- $store := include "loyalhub.storeDriver" . -}}
{{- if and (has $queue (list "nats" "postgres")) (eq $store "postgres") -}}true{{- end -}}
{{- end -}}

{{/*
The data directory: config.data_dir, or the image's /var/lib/loyalhub.
*/}}
{{- define "loyalhub.dataDir" -}}
{{- dig "data_dir" "/var/lib/loyalhub" (include "loyalhub.configValues" . | fromJson) -}}
{{- end -}}

{{/*
The port the hub listens on, from config.server.listen (default ":8080").
*/}}
{{- define "loyalhub.listen" -}}
{{- dig "server" "listen" ":8080" (include "loyalhub.configValues" . | fromJson) -}}
{{- end -}}

{{- define "loyalhub.port" -}}
{{- $listen := include "loyalhub.listen" . -}}
{{- regexReplaceAll "^.*:" $listen "" -}}
{{- end -}}

{{/*
The most replicas the release can run: the autoscaler's maximum or
replicaCount.
*/}}
{{- define "loyalhub.maxReplicas" -}}
{{- if .Values.autoscaling.enabled -}}{{ .Values.autoscaling.maxReplicas }}{{- else -}}{{ .Values.replicaCount }}{{- end -}}
{{- end -}}

{{/*
The fewest replicas the release runs: the autoscaler's minimum or
replicaCount.
*/}}
{{- define "loyalhub.minReplicas" -}}
{{- if .Values.autoscaling.enabled -}}{{ .Values.autoscaling.minReplicas }}{{- else -}}{{ .Values.replicaCount }}{{- end -}}
{{- end -}}

{{/*
Refuses values the hub cannot run with.
*/}}
{{- define "loyalhub.validate" -}}
{{- $queue := include "loyalhub.queueBackend" . -}}
{{- $store := include "loyalhub.storeDriver" . -}}
{{- if not (include "loyalhub.scaleOut" .) -}}
{{- if gt (int .Values.replicaCount) 1 -}}
{{- fail (printf "replicaCount %d needs the scale-out backends, but config.queue.backend is %q and config.store.driver is %q: the embedded queue and SQLite live in one pod's data volume. Set replicaCount: 1, or config.queue.backend: nats (or postgres) and config.store.driver: postgres" (int .Values.replicaCount) $queue $store) -}}
{{- end -}}
{{- if .Values.autoscaling.enabled -}}
{{- fail (printf "autoscaling.enabled needs the scale-out backends, but config.queue.backend is %q and config.store.driver is %q: the embedded queue and SQLite run in exactly one pod. Disable autoscaling, or set config.queue.backend: nats (or postgres) and config.store.driver: postgres" $queue $store) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.persistence.enabled (not .Values.persistence.existingClaim) (has "ReadWriteOnce" .Values.persistence.accessModes) (gt (int (include "loyalhub.maxReplicas" .)) 1) -}}
{{- fail "persistence.enabled gives the pods one ReadWriteOnce claim, which several replicas cannot share: the scale-out backends keep nothing in data_dir, so set persistence.enabled: false (an emptyDir per pod)" -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas %d is above autoscaling.maxReplicas %d" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (not (dig "requests" "cpu" "" .Values.resources)) -}}
{{- fail "autoscaling.enabled needs resources.requests.cpu: the autoscaler's CPU target is a share of it" -}}
{{- end -}}
{{- if not (hasPrefix "/" (include "loyalhub.dataDir" .)) -}}
{{- fail (printf "config.data_dir %q must be an absolute path: the data volume is mounted there" (include "loyalhub.dataDir" .)) -}}
{{- end -}}
{{- $listen := include "loyalhub.listen" . -}}
{{- if not (regexMatch "^(|0\\.0\\.0\\.0|\\[::\\]):[0-9]+$" $listen) -}}
{{- fail (printf "config.server.listen %q must listen on every address (\":PORT\"): the kubelet's probes and the Service reach the pod's IP" $listen) -}}
{{- end -}}
{{- range $key := list "LOYALHUB_DATA_DIR" "LOYALHUB_SERVER__LISTEN" "LOYALHUB_QUEUE__BACKEND" "LOYALHUB_STORE__DRIVER" -}}
{{- if hasKey $.Values.env $key -}}
{{- fail (printf "env.%s: set the key in config instead; the chart reads it there to mount the data volume, point the probes and check the replicas" $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
queue.max_ack_pending for the most replicas, when the queue is NATS and
the config leaves it unset: each replica's subscribers get twice their
number of messages in flight. Empty otherwise.
*/}}
{{- define "loyalhub.maxAckPending" -}}
{{- $cfg := include "loyalhub.configValues" . | fromJson -}}
{{- if and (eq (include "loyalhub.queueBackend" .) "nats") (not (dig "queue" "max_ack_pending" 0 $cfg)) (not (hasKey .Values.env "LOYALHUB_QUEUE__MAX_ACK_PENDING")) -}}
{{- mul 2 (int (dig "queue" "subscribers" 16 $cfg)) (int (include "loyalhub.maxReplicas" .)) -}}
{{- end -}}
{{- end -}}
