#!/bin/sh
# Installs the openssm server from this checkout as a systemd service running as its own unprivileged
# user. Needs Node.js >= 20 and npm; downloads nothing but the server's npm dependencies from the npm
# registry (or none with --node-modules-from).
#
#   sudo packages/server/service/install.sh [options]
#
#   --user NAME          the service's user (default openssm; a system user, created if missing)
#   --prefix DIR         where the server's files go (default /opt/openssm)
#   --bin-dir DIR        where the openssm command goes (default /usr/local/bin)
#   --config-dir DIR     where server.yaml goes (default /etc/openssm; an existing file is kept)
#   --data-dir DIR       the server's data (default /var/lib/openssm)
#   --unit-dir DIR       where openssm.service goes (default /etc/systemd/system)
#   --node-modules-from DIR  link the dependencies already installed in DIR (a checkout's node_modules)
#                        instead of running npm install: for hosts without the npm registry
#   --no-start           install and enable, but do not start (also: no systemd running here)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../../.." && pwd)
user=openssm
prefix=/opt/openssm
bin_dir=/usr/local/bin
config_dir=/etc/openssm
data_dir=/var/lib/openssm
unit_dir=/etc/systemd/system
modules_from=""
start=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --user) user=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --bin-dir) bin_dir=$2; shift 2 ;;
    --config-dir) config_dir=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --unit-dir) unit_dir=$2; shift 2 ;;
    --node-modules-from) modules_from=$(cd "$2" && pwd); shift 2 ;;
    --no-start) start=no; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "install.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (it creates a user and writes $prefix, $config_dir, $unit_dir)"
command -v node >/dev/null 2>&1 || fail "Node.js 20 or newer is needed (your distribution's nodejs package, or https://nodejs.org)"
node_bin=$(command -v node)
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || fail "Node.js 20 or newer is needed, this is $(node --version)"
[ -n "$modules_from" ] || command -v npm >/dev/null 2>&1 || fail "npm is needed (it comes with Node.js), or --node-modules-from"
[ "$user" != root ] || fail "the server runs as its own unprivileged user, not root"

echo "installing the server into $prefix"
mkdir -p "$prefix"
rm -rf "$prefix/packages"
mkdir -p "$prefix/packages/console"
(cd "$checkout" && tar --exclude=node_modules --exclude='*.test.ts' -cf - packages/model packages/protocol packages/server packages/cli) | (cd "$prefix" && tar -xf -)
# The web console is static files, built in the checkout (node packages/console/build.mjs).
if [ -d "$checkout/packages/console/dist" ]; then cp -R "$checkout/packages/console/dist" "$prefix/packages/console/dist"; else echo "  (no console build in the checkout: the server runs without the web console)"; fi
node -e '
  const root = require(process.argv[1]);
  const out = { name: "openssm-server-installed", version: root.version, private: true, type: "module",
    workspaces: ["packages/model", "packages/protocol", "packages/server", "packages/cli"],
    dependencies: { tsx: root.dependencies.tsx } };
  require("fs").writeFileSync(process.argv[2], JSON.stringify(out, null, 2) + "\n");
' "$checkout/package.json" "$prefix/package.json"

rm -rf "$prefix/node_modules"
if [ -n "$modules_from" ]; then
  echo "linking the dependencies in $modules_from"
  mkdir -p "$prefix/node_modules/@openssm"
  for entry in "$modules_from"/* "$modules_from"/.bin; do
    name=$(basename "$entry")
    [ "$name" = "@openssm" ] || ln -s "$entry" "$prefix/node_modules/$name"
  done
  for p in model protocol server cli; do ln -s "../../packages/$p" "$prefix/node_modules/@openssm/$p"; done
else
  echo "installing the dependencies from the npm registry"
  (cd "$prefix" && npm install --omit=dev --no-audit --no-fund --loglevel=error) || fail "npm install in $prefix failed"
fi

mkdir -p "$bin_dir"
cat > "$bin_dir/openssm" <<WRAPPER
#!/bin/sh
exec "$node_bin" "$prefix/packages/cli/bin/openssm.js" "\$@"
WRAPPER
chmod 755 "$bin_dir/openssm"

if ! id "$user" >/dev/null 2>&1; then
  echo "creating system user $user"
  useradd --system --user-group --home-dir "$data_dir" --no-create-home --shell /usr/sbin/nologin "$user" 2>/dev/null ||
    adduser --system --group --home "$data_dir" --no-create-home "$user" ||
    fail "could not create user $user"
fi
group=$(id -gn "$user")

mkdir -p "$data_dir"
chown "$user:$group" "$data_dir"
chmod 700 "$data_dir"

mkdir -p "$config_dir"
config="$config_dir/server.yaml"
if [ -f "$config" ]; then
  echo "keeping $config"
else
  sed -e "s|^data-dir: .*|data-dir: $data_dir|" "$here/server.yaml" > "$config"
  chown "root:$group" "$config"
  chmod 640 "$config"
fi

mkdir -p "$unit_dir"
unit="$unit_dir/openssm.service"
sed -e "s|^User=.*|User=$user|" -e "s|^Group=.*|Group=$group|" \
    -e "s|/usr/local/bin/openssm |$bin_dir/openssm |g" -e "s|/etc/openssm/server.yaml|$config|g" \
    -e "s|/var/lib/openssm|$data_dir|g" "$here/openssm.service" > "$unit"
chmod 644 "$unit"
echo "wrote $unit (User=$user, settings in $config, data in $data_dir)"

echo "checking the configuration"
(cd "$data_dir" && setpriv --reuid="$user" --regid="$group" --init-groups "$bin_dir/openssm" server --check-config --config "$config") ||
  fail "the configuration is not right: fix $config, then run: $bin_dir/openssm server --check-config --config $config"

if [ "$start" = yes ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now openssm
  echo "openssm is running: systemctl status openssm; journalctl -u openssm -f"
else
  echo "installed; start it with: systemctl daemon-reload && systemctl enable --now openssm"
fi
