#!/usr/bin/env bash
# Install code-server (VS Code in the browser) from the npm registry into vscode/.code-server/
# (git-ignored) for the real-VS-Code test suite (tests/editors/test_code_server.py).
#
#   vscode/scripts/install-code-server.sh [PREFIX]      # default: vscode/.code-server
#
# Idempotent: exits at once when the pinned version is already installed there.
# Needs only the npm registry and Debian's apt (GitHub is not required):
#   * code-server 4.100.x is the last line that runs on Node 20 (VS Code 1.100); newer needs Node 22+.
#   * its `kerberos` module compiles against MIT gssapi headers (Debian libkrb5-dev) when its
#     prebuilt binary cannot be fetched; node-gyp uses the local Node headers (npm_config_nodedir).
#   * code-server's postinstall refuses to run as root unless npm_config_unsafe_perm is set;
#     node-pty's postinstall calls `npx node-gyp`, which must not prompt (npm_config_yes);
#     npm 11 wants install scripts approved (allowScripts in the prefix's package.json).
#   * @vscode/ripgrep's postinstall downloads a ripgrep release from GitHub into a cache folder
#     in os.tmpdir(); when GitHub is unreachable we put a tarball of Debian's `rg` there first.
set -euo pipefail

VERSION=4.100.3
RIPGREP_NPM=1.15.11           # @vscode/ripgrep version in code-server 4.100.3's lib/vscode shrinkwrap
RIPGREP_TAG=v13.0.0-10        # the release that package's postinstall fetches

here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$here/.code-server}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
bin=$prefix/node_modules/.bin/code-server
vsc=$prefix/node_modules/code-server/lib/vscode

fail() { echo "install-code-server: $*" >&2; exit 1; }

is_installed() {
  [ -x "$bin" ] && [ -x "$vsc/node_modules/@vscode/ripgrep/bin/rg" ] && [ -d "$vsc/extensions/node_modules" ] &&
    [ "$(CODE_SERVER_CONFIG=/dev/null "$bin" --version 2>/dev/null | head -n1 | cut -d' ' -f1)" = "$VERSION" ]
}
if is_installed; then echo "code-server $VERSION already in $prefix"; exit 0; fi

command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are needed (apt-get install nodejs npm)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" = 20 ] || fail "code-server $VERSION runs on Node 20; this is Node $(node --version)"

# Debian packages the build needs (installed only when missing).
need=()
[ -f /usr/include/gssapi/gssapi_krb5.h ] || need+=(libkrb5-dev)
command -v rg >/dev/null || need+=(ripgrep)
for tool in make g++ python3; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ "${#need[@]}" -gt 0 ]; then
  echo "apt-get install ${need[*]}"
  sudo_=(); [ "$(id -u)" = 0 ] || sudo_=(sudo)
  "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${need[@]}" || fail "apt-get install ${need[*]} failed"
fi

# Pre-fill @vscode/ripgrep's download cache with Debian's rg unless GitHub answers.
if ! timeout 10 node -e '
  require("https").get(process.argv[1], {headers: {"user-agent": "kernelenv-setup"}},
    (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1));' \
    "https://api.github.com/repos/microsoft/ripgrep-prebuilt/releases/tags/$RIPGREP_TAG" 2>/dev/null; then
  case $(node -p process.arch) in
    x64) triple=x86_64-unknown-linux-musl ;;
    arm64) triple=aarch64-unknown-linux-musl ;;
    *) fail "no ripgrep build for $(node -p process.arch)" ;;
  esac
  cache=$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RIPGREP_NPM
  mkdir -p "$cache"
  tar -czhf "$cache/ripgrep-$RIPGREP_TAG-$triple.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  echo "GitHub unreachable: using Debian's $(command -v rg) for @vscode/ripgrep"
fi

# A package.json of its own keeps npm from treating vscode/ as the project to install into. Its
# allowScripts approves (npm 11) the two install scripts this needs: code-server's postinstall
# (installs VS Code's node modules) and argon2's (password hashing).
cat > "$prefix/package.json" <<JSON
{"private": true, "description": "code-server for kernelenv tests",
 "dependencies": {"code-server": "$VERSION"},
 "allowScripts": {"code-server": true, "argon2": true}}
JSON
node_root=$(node -p 'require("path").resolve(process.execPath, "..", "..")')
if [ -f "$node_root/include/node/node.h" ]; then export npm_config_nodedir=${npm_config_nodedir:-$node_root}; fi
export npm_config_unsafe_perm=true npm_config_yes=true
(cd "$prefix" && npm install --no-audit --no-fund --save-exact "code-server@$VERSION") || fail "npm install code-server@$VERSION failed"

is_installed || fail "code-server's postinstall did not finish ($bin --version fails or ripgrep is missing)"
echo "code-server $VERSION installed in $prefix"
