#!/usr/bin/env bash
# Tests for the dashboard's CloudFront Function (infra/edge/viewer-auth.js).
# Needs only Node 20+ (node:test); no npm packages.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

src=infra/edge/viewer-auth.js
limit=10240 # CloudFront Functions: maximum function size, in bytes
size=$(wc -c <"$src" | tr -d ' ')
if [ "$size" -ge "$limit" ]; then
  echo "error: $src is $size bytes; CloudFront Functions accept less than $limit bytes" >&2
  exit 1
fi
echo "$src: $size bytes (limit $limit)"

node --test infra/edge/
