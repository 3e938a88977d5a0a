#!/usr/bin/env bash
# make-certs.sh DIR [BROKER_NAME ...] — a CA and a broker's TLS certificate made by hand, with openssl, for
# `gymctl broker-config --certs-dir DIR` (`gymctl init` makes the site's own CA and certificates by default).
# DIR gets ca.crt (copy to every unit: GYM_MQTT_TLS_CA), ca.key (keep offline), server.crt, server.key.
# The broker's names (default: broker localhost 127.0.0.1) go in the certificate's subjectAltName.
# server.key is root:$BROKER_GROUP 0640 (default group mosquitto, when it exists and we are root): the broker
# loads it after dropping root to its own user. ca.key stays 0600.
set -euo pipefail
dir=${1:?usage: make-certs.sh DIR [BROKER_NAME ...]}
shift
names=("${@:-broker}")
[ $# -eq 0 ] && names=(broker localhost 127.0.0.1)
mkdir -p "$dir"
cd "$dir"
days_ca=3650    # the CA outlives many server certificates
days_server=825 # the longest validity clients still accept for a server certificate
if [ ! -f ca.key ]; then
  openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days "$days_ca" -subj "/CN=gym site CA" \
    -keyout ca.key -out ca.crt 2>/dev/null
fi
san=""
for n in "${names[@]}"; do
  if [[ $n =~ ^[0-9.]+$ ]]; then san+="IP:$n,"; else san+="DNS:$n,"; fi
done
openssl req -newkey rsa:3072 -sha256 -nodes -subj "/CN=${names[0]}" -keyout server.key -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days_server" -sha256 \
  -extfile <(printf "subjectAltName=%s\nextendedKeyUsage=serverAuth\n" "${san%,}") -out server.crt 2>/dev/null
rm -f server.csr
chmod 600 ca.key server.key
group=${BROKER_GROUP:-mosquitto}
if [ "$(id -u)" = 0 ] && getent group "$group" >/dev/null; then
  chgrp "$group" server.key && chmod 640 server.key
fi
echo "CA: $dir/ca.crt  server: $dir/server.crt (${names[*]})"
