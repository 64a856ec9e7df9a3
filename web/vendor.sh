#!/usr/bin/env bash
# Re-fetch the vendored browser libraries, exactly these versions, from the npm registry.
# `npm pack` downloads a package's published tarball (no install, no build); we keep only the
# browser bundles the pages load and each package's licence. Run from anywhere; commit the result.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vendor="$here/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# package@version  file-in-tarball...   (paths relative to the tarball's package/ folder)
PACKAGES=(
  "graphiql@3.9.0 graphiql.min.js graphiql.min.css LICENSE"
  # graphiql.min.js bundles graphql-js 16.9.0 (it needs only React globals): keep its licence
  "graphql@16.9.0 LICENSE"
  "react@18.3.1 umd/react.production.min.js LICENSE"
  "react-dom@18.3.1 umd/react-dom.production.min.js LICENSE"
  "chart.js@4.5.0 dist/chart.umd.min.js LICENSE.md"
)

rm -rf "$vendor"
for entry in "${PACKAGES[@]}"; do
  read -r spec files <<<"$entry"
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  tarball="$work/$(echo "${spec%@*}" | tr -d @ | tr / -)-${spec##*@}.tgz"
  mkdir -p "$vendor/$spec"
  for file in $files; do
    tar -xzf "$tarball" -O "package/$file" >"$vendor/$spec/$(basename "$file")"
  done
  echo "vendored $spec: $files"
done
(cd "$vendor" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum >SHA256SUMS)
