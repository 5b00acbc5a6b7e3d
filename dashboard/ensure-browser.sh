#!/usr/bin/env bash
# Installs what the browser tests need, only when missing: Debian's chromium and
# chromium-driver (/usr/bin/chromium), and playwright-core (pinned in
# dashboard/e2e/package-lock.json) into dashboard/e2e/node_modules. Playwright never
# downloads a browser here: the tests launch /usr/bin/chromium.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

missing=()
for p in chromium chromium-driver; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "ensure-browser: installing ${missing[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x /usr/bin/chromium ] || { echo "ensure-browser: /usr/bin/chromium missing" >&2; exit 1; }

e2e="$here/e2e"
want=$(node -p "require('$e2e/package.json').devDependencies['playwright-core']")
have=$(node -p "try { require('$e2e/node_modules/playwright-core/package.json').version } catch (e) { '' }" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
    echo "ensure-browser: installing playwright-core $want (npm ci)"
    (cd "$e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund >/dev/null)
fi
