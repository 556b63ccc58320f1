{{/* <release>-tidings: the prefix of every object (the README and NOTES name them so). */}}
{{- define "tidings.fullname" -}}{{ .Release.Name }}-tidings{{- end -}}

{{- define "tidings.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}{{- end -}}

{{- define "tidings.labels" -}}
app.kubernetes.io/name: tidings
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: pass (dict "root" $ "name" "publisher"). */}}
{{- define "tidings.selectorLabels" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* The Secret every pod that needs DATABASE_URL and SECRETS_ENCRYPTION_KEYS reads. */}}
{{- define "tidings.secretName" -}}
{{- if .Values.secret.create -}}{{ include "tidings.fullname" . }}-secrets{{- else -}}{{ .Values.secret.existingSecret }}{{- end -}}
{{- end -}}

{{/* Stops the install with a message saying what to set, before anything is applied. */}}
{{- define "tidings.validate" -}}
{{- $s := .Values.secret -}}
{{- if and $s.create $s.existingSecret -}}
{{- fail "secret: set either secret.existingSecret (a Secret you manage) or secret.create=true with secret.databaseUrl and secret.secretsEncryptionKeys, not both" -}}
{{- end -}}
{{- if not (or $s.create $s.existingSecret) -}}
{{- fail "secret: DATABASE_URL and SECRETS_ENCRYPTION_KEYS are needed: set secret.existingSecret to a Secret holding both keys, or secret.create=true with secret.databaseUrl and secret.secretsEncryptionKeys" -}}
{{- end -}}
{{- if and $s.create (not (and $s.databaseUrl $s.secretsEncryptionKeys)) -}}
{{- fail "secret: secret.create=true needs both secret.databaseUrl and secret.secretsEncryptionKeys" -}}
{{- end -}}
{{- $_ := include "tidings.retryDelayLabels" . -}}
{{- end -}}

{{/*
The distinct delays of config.RETRY_SCHEDULE, labelled as libs/contracts/src/retry-schedule.ts
labels them (delayLabel), in first-use order, comma-separated: `1h*24` → `1h`;
`10s,1m,10m,1h*23~10%` → `10s,1m,10m,1h`; `60s` → `1m`; `1500ms` → `1500ms`. Each becomes the
retry topic `<prefix>tidings.webhook-retry.<label>.v1`. test/k8s/chart-render.spec.ts compares
this with the TypeScript for several schedules.
*/}}
{{- define "tidings.retryDelayLabels" -}}
{{- $text := .Values.config.RETRY_SCHEDULE | toString | trim -}}
{{- $parts := splitList "~" $text -}}
{{- if gt (len $parts) 2 -}}{{- fail (printf "config.RETRY_SCHEDULE %q: at most one \"~<percent>%%\" jitter suffix" $text) -}}{{- end -}}
{{- if and (eq (len $parts) 2) (not (regexMatch "^[0-9]{1,2}%$" (index $parts 1 | trim))) -}}
{{- fail (printf "config.RETRY_SCHEDULE %q: the jitter must be a whole percentage below 100, e.g. ~10%%" $text) -}}
{{- end -}}
{{- $unitMs := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 -}}
{{- $labels := list -}}
{{- $total := 0 -}}
{{- range $raw := splitList "," (index $parts 0) -}}
{{- $step := trim $raw -}}
{{- if not (regexMatch "^[0-9]+(ms|s|m|h|d)(\\*[0-9]+)?$" $step) -}}
{{- fail (printf "config.RETRY_SCHEDULE %q: %q is not a delay such as 30s, 10m, 1h or 1h*24" $text $step) -}}
{{- end -}}
{{- $unit := regexFind "(ms|s|m|h|d)" $step -}}
{{- /* Leading zeros stripped: sprig reads "024" as octal, the TypeScript as 24. */ -}}
{{- $amount := regexReplaceAll "^0+([0-9])" (regexFind "^[0-9]+" $step) "${1}" | int64 -}}
{{- $count := 1 -}}
{{- if contains "*" $step -}}{{- $count = regexReplaceAll "^0+([0-9])" (splitList "*" $step | last) "${1}" | int64 -}}{{- end -}}
{{- $ms := mul $amount (get $unitMs $unit) -}}
{{- if or (le $ms 0) (le $count 0) -}}
{{- fail (printf "config.RETRY_SCHEDULE %q: %q must be a positive delay and count" $text $step) -}}
{{- end -}}
{{- $total = add $total $count -}}
{{- if gt $total 1000 -}}{{- fail (printf "config.RETRY_SCHEDULE %q: more than 1000 retries" $text) -}}{{- end -}}
{{- $label := printf "%dms" $ms -}}
{{- range $u := list "s" "m" "h" "d" -}}
{{- if eq (mod $ms (get $unitMs $u)) 0 -}}{{- $label = printf "%d%s" (div $ms (get $unitMs $u)) $u -}}{{- end -}}
{{- end -}}
{{- $labels = append $labels $label -}}
{{- end -}}
{{- $labels | uniq | join "," -}}
{{- end -}}

{{/*
The length of config.RETRY_SCHEDULE in ms with its jitter at the longest (rounded up), as
scheduleSpanMs in libs/contracts/src/relay-data-keys.ts computes it; tidings.retryDelayLabels
has refused a malformed schedule already.
*/}}
{{- define "tidings.retryScheduleSpanMs" -}}
{{- $text := .Values.config.RETRY_SCHEDULE | toString | trim -}}
{{- $parts := splitList "~" $text -}}
{{- $unitMs := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 -}}
{{- $sum := 0 -}}
{{- range $raw := splitList "," (index $parts 0) -}}
{{- $step := trim $raw -}}
{{- $amount := regexReplaceAll "^0+([0-9])" (regexFind "^[0-9]+" $step) "${1}" | int64 -}}
{{- $count := 1 -}}
{{- if contains "*" $step -}}{{- $count = regexReplaceAll "^0+([0-9])" (splitList "*" $step | last) "${1}" | int64 -}}{{- end -}}
{{- $sum = add $sum (mul $amount (get $unitMs (regexFind "(ms|s|m|h|d)" $step)) $count) -}}
{{- end -}}
{{- $jitter := 0 -}}
{{- if eq (len $parts) 2 -}}{{- $jitter = regexReplaceAll "^0+([0-9])" (trimSuffix "%" (index $parts 1 | trim)) "${1}" | int64 -}}{{- end -}}
{{- div (add (mul $sum (add 100 $jitter)) 99) 100 -}}
{{- end -}}

{{/* The name of one internal topic with KAFKA_TOPIC_PREFIX: (dict "root" $ "topic" "tidings.webhook-events.v1"). */}}
{{- define "tidings.topic" -}}{{ .root.Values.config.KAFKA_TOPIC_PREFIX | default "" }}{{ .topic }}{{- end -}}

{{/* A probe's timing fields, inline: periodSeconds, timeoutSeconds, failureThreshold. */}}
{{- define "tidings.probeTiming" -}}
periodSeconds: {{ .periodSeconds }}, timeoutSeconds: {{ .timeoutSeconds }}, failureThreshold: {{ .failureThreshold }}
{{- end -}}

{{/* The hardened pod of a `helm test` hook: the app image, non-root, nothing mounted. */}}
{{- define "tidings.testPodSpec" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: RuntimeDefault } }
{{- with .Values.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "tidings.testContainerSpec" -}}
resources: { requests: { cpu: 10m, memory: 64Mi }, limits: { memory: 128Mi } }
securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
{{- end -}}
