#!/bin/sh
# The demo system's page: who mod_auth_openidc says is logged in (the ID token's claims).
escape() { printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'; }
logout="/redirect_uri?logout=http%3A%2F%2F${HTTP_HOST}%2Fbye.html"
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
cat <<HTML
<!doctype html>
<html lang="th"><head><meta charset="utf-8"><title>ระบบทดสอบ (demo system)</title></head>
<body>
<h1>ระบบทดสอบ · demo system</h1>
<p>เข้าสู่ระบบผ่าน SSO แล้ว · Logged in through the SSO (OpenID Connect):</p>
<dl>
<dt>preferred_username</dt><dd id="username">$(escape "$OIDC_CLAIM_preferred_username")</dd>
<dt>name</dt><dd id="name">$(escape "$OIDC_CLAIM_name")</dd>
<dt>sub</dt><dd id="sub">$(escape "$OIDC_CLAIM_sub")</dd>
<dt>amr</dt><dd id="amr">$(escape "$OIDC_CLAIM_amr")</dd>
<dt>acr</dt><dd id="acr">$(escape "$OIDC_CLAIM_acr")</dd>
</dl>
<p><a id="logout" href="$logout">ออกจากระบบ · Log out</a></p>
</body></html>
HTML
