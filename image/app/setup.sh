#!/bin/bash
# The Galaxy custom-base-image contract, run during the image build:
#   /app/setup.sh BUNDLE_URL
# downloads the app's tarball, unpacks it into /app, installs its dependencies,
# and enables the `app` service that starts it on $PORT. Any failure exits
# non-zero with a line saying what failed, so the build is retried. The URL
# (often signed) is not kept anywhere in the image, nor printed whole.
set -euo pipefail
fail() { echo "setup.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] && [ -n "$1" ] || fail "usage: /app/setup.sh BUNDLE_URL"
url=$1
where=${url%%\?*}

bundle=$(mktemp)
trap 'rm -f "$bundle"' EXIT
echo "setup.sh: downloading the bundle from $where"
curl --fail --silent --show-error --location --retry 3 --output "$bundle" "$url" \
  || fail "cannot download the bundle from $where"
echo "setup.sh: unpacking into /app"
tar -xz -m -C /app -f "$bundle" || fail "the bundle from $where is not a gzip-compressed tar archive"

id app >/dev/null 2>&1 || useradd --system --create-home --home-dir /home/app --shell /usr/sbin/nologin app

if [ -f /app/package.json ]; then
  if ! command -v npm >/dev/null; then
    echo "setup.sh: installing Node.js and npm"
    /sbin/install_clean nodejs npm >/dev/null || fail "cannot install Node.js and npm"
  fi
  echo "setup.sh: npm install --production"
  (cd /app && npm install --production --no-audit --no-fund) || fail "npm install failed"
fi
# Other stacks: an image built FROM this one drops an executable into
# /etc/app-setup.d/ (pip install -r requirements.txt, bundle install, ...);
# each runs in /app, in name order, after the bundle is unpacked.
for step in /etc/app-setup.d/*; do
  [ -x "$step" ] || continue
  echo "setup.sh: running $step"
  (cd /app && "$step") || fail "$step failed"
done

rm -f /etc/service/app/down
echo "setup.sh: the app is installed and starts with the container on \$PORT"
