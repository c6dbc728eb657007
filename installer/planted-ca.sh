# Shared by test-deb.sh and test-windows.sh: the state dir's files as anyone with the service
# account's rights could leave them. Source it; it defines one function.

# dir: writes there a working set (ca.pem, localhost.pem, localhost.key) under a CA named like
# the agent's, path length 0, but without name constraints, so that it would vouch for any
# site; openssl's output goes to dir/openssl.log. Fails when openssl does.
plant_ca() {
  (
    cd "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
      -days 90 -subj "/CN=ThaiID Login Agent local CA 0123ABCD" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout localhost.key -out leaf.csr -subj /CN=localhost
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' >leaf.ext
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 90 -extfile leaf.ext -out leaf.pem
    cat leaf.pem ca.pem >localhost.pem
  ) >"$1/openssl.log" 2>&1
}
