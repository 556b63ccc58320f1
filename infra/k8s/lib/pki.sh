# The cluster's certificates and kubeconfigs, made with openssl under $DIR/pki once per
# (node IP, node name): a later `up` reuses them. Sourced by cluster.sh, which sets DIR,
# NODE, NODE_IP and SERVICE_IP. Keys are ECDSA P-256: quick to make on two busy cores.
# shellcheck shell=bash

PKI_DAYS=3650

make_pki() {
  local pki=$DIR/pki stamp="$NODE_IP $NODE"
  if [ -f "$pki/stamp" ] && [ "$(cat "$pki/stamp")" = "$stamp" ]; then return 0; fi
  log "making certificates for $NODE ($NODE_IP)"
  rm -rf "$pki"
  mkdir -p "$pki"
  (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key")
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=tidings-k8s-ca" -days "$PKI_DAYS" -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$pki/ca.crt"

  # The apiserver is reached by pods through the kubernetes Service, by name and by its IP.
  issue apiserver kube-apiserver "" "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$SERVICE_IP,IP:$NODE_IP,IP:127.0.0.1"
  issue apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  issue admin tidings-admin system:masters
  issue controller-manager system:kube-controller-manager
  issue scheduler system:kube-scheduler
  issue kubelet "system:node:$NODE" system:nodes
  issue kubelet-serving "$NODE" "" "DNS:$NODE,IP:$NODE_IP"
  issue kube-proxy system:kube-proxy
  issue coredns system:coredns

  # Service-account tokens are signed with this pair (apiserver signs, controller-manager too).
  (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key")
  openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null

  mkdir -p "$DIR/kubeconfigs"
  kubeconfig admin "$DIR/kubeconfig"
  local who
  for who in controller-manager scheduler kubelet kube-proxy coredns; do
    kubeconfig "$who" "$DIR/kubeconfigs/$who.kubeconfig"
  done
  echo "$stamp" >"$pki/stamp"
}

# issue NAME CN [ORG] [SANS]: a key and a CA-signed certificate; with SANS it can also serve.
issue() {
  local name=$1 cn=$2 org=${3:-} sans=${4:-} pki=$DIR/pki subject ext usage=clientAuth
  subject="/CN=$cn"
  [ -n "$org" ] && subject="/O=$org$subject"
  [ -n "$sans" ] && usage="serverAuth,clientAuth"
  ext="basicConstraints=critical,CA:FALSE"$'\n'"keyUsage=critical,digitalSignature"$'\n'"extendedKeyUsage=$usage"
  [ -n "$sans" ] && ext+=$'\n'"subjectAltName=$sans"
  (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key")
  openssl req -new -key "$pki/$name.key" -subj "$subject" \
    | openssl x509 -req -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
        -days "$PKI_DAYS" -sha256 -extfile <(echo "$ext") -out "$pki/$name.crt" 2>/dev/null
}

# kubeconfig CERT FILE: a kubeconfig for the apiserver on the node address, as CERT's subject.
kubeconfig() {
  local cert=$1 file=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: tidings
  cluster:
    server: https://$NODE_IP:6443
    certificate-authority: $DIR/pki/ca.crt
users:
- name: $cert
  user:
    client-certificate: $DIR/pki/$cert.crt
    client-key: $DIR/pki/$cert.key
contexts:
- name: tidings
  context:
    cluster: tidings
    user: $cert
current-context: tidings
EOF
  chmod 600 "$file"
}
