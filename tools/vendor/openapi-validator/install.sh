#!/bin/sh
# install.sh DEST: unpacks the vendored npm tarballs beside this script into DEST/node_modules,
# after checking each against SHA256SUMS. No network: npm is not used. Idempotent (DEST/.stamp
# holds the SHA256SUMS it was made from). Called by the Makefile (make test) and by
# tests/python/test_openapi.py. tools/vendor/jose/install.sh is a link to it: "beside this
# script" is the folder of the name it was called by, so do not resolve $0.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: install.sh DEST}
if [ -f "$dest/.stamp" ] && cmp -s "$here/SHA256SUMS" "$dest/.stamp"; then exit 0; fi
(cd "$here" && sha256sum --quiet -c SHA256SUMS)
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/node_modules"
for t in $(cut -d' ' -f3 "$here/SHA256SUMS"); do
    name=$(tar -xzOf "$here/$t" package/package.json | sed -n 's/^[[:space:]]*"name":[[:space:]]*"\([^"]*\)".*/\1/p' | head -n1)
    [ -n "$name" ] || { echo "install.sh: $t: no name in package.json" >&2; exit 1; }
    mkdir -p "$dest.tmp/node_modules/$name"
    tar -xzf "$here/$t" -C "$dest.tmp/node_modules/$name" --strip-components=1 --no-same-owner
done
cp "$here/SHA256SUMS" "$dest.tmp/.stamp"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
