#!/usr/bin/env bash
# Starts the demo system (Apache + mod_auth_openidc, an OpenID Connect relying party) in
# the foreground, as a test instance of its own: start.sh DIR PORT ISSUER CLIENT_ID SECRET.
# DIR gets the configuration and the logs; Apache serves http://127.0.0.1:PORT/ and logs in
# through ISSUER. Run by a user, it runs as that user and serves its pages from DIR. Run as
# root, its worker drops to www-data, which cannot go through a private directory (a clone in
# /root, or in a 0700 home): the pages are then served from /run/thaiid-demo-system/PORT,
# root's and readable by all, and nobody's home is opened up. It stops on SIGTERM.
set -euo pipefail
dir=$1 port=$2 issuer=$3 client_id=$4 secret=$5
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
www=$dir
user=
if [ "$(id -u)" -eq 0 ]; then
  user=$'User www-data\nGroup www-data'
  # One per port: a second instance (another test) has its own; a stale one is replaced.
  www=/run/thaiid-demo-system/$port
  rm -rf "$www"
  install -d -m 0755 /run/thaiid-demo-system "$www"
fi
install -m 0755 "$here/index.cgi" "$www/"
install -m 0644 "$here/bye.html" "$www/"
passphrase=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
sed -e "s|@DIR@|$dir|g" -e "s|@WWW@|$www|g" -e "s|@PORT@|$port|g" -e "s|@ISSUER@|$issuer|g" \
    -e "s|@CLIENT_ID@|$client_id|g" -e "s|@CLIENT_SECRET@|$secret|g" \
    -e "s|@PASSPHRASE@|$passphrase|g" "$here/httpd.conf.in" \
  | awk -v user="$user" '{ if ($0 == "@USER@") print user; else print }' >"$dir/httpd.conf"
chmod 600 "$dir/httpd.conf"
exec /usr/sbin/apache2 -f "$dir/httpd.conf" -X
