#!/bin/sh
# Installs openssm-agent from this checkout as a system service. Needs Node.js >= 20 and the
# checkout's `npm install` (which builds node-pty for this machine); downloads nothing. What it
# installs: the agent as one bundled file (its npm dependencies inside; CommonJS, which a Node.js
# runs without loading its ES module loader) and node-pty's JavaScript with this machine's native
# binary only (not the prebuilt Windows and macOS ones): about 1 MiB.
#
#   sudo packages/agent/install.sh [--user NAME] [--prefix DIR] [--data-dir DIR] [--no-service]
#        [--code CODE --id ID --endpoint URL [--region R] [--tls-endpoint URL] [--ca-file PEM] [--name N]]
#
#   --user NAME      run the agent as this (system) user instead of root; created if missing.
#                    Commands then run as that user, and a step cannot reboot the machine.
#   --prefix DIR     where the agent is installed (default /opt/openssm-agent)
#   --bin-dir DIR    where the openssm-agent command goes (default /usr/local/bin)
#   --data-dir DIR   the agent's identity and state (default /var/lib/openssm)
#   --no-service     install the files only (no systemd unit)
#   --code/--id/...  register the node right away (openssm-agent register's flags)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=/opt/openssm-agent
bin_dir=/usr/local/bin
data_dir=/var/lib/openssm
user=root
service=yes
register_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --user) user=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --bin-dir) bin_dir=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --no-service) service=no; shift ;;
    --code|--id|--endpoint|--region|--tls-endpoint|--ca-file|--name)
      register_args="$register_args $1 '$2'"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

fail() { echo "install.sh: $*" >&2; exit 1; }
command -v node >/dev/null 2>&1 || fail "Node.js 20 or newer is needed (https://nodejs.org, or your distribution's nodejs package)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || fail "Node.js 20 or newer is needed, this is $(node --version)"
[ -d "$here/../../node_modules" ] || fail "run 'npm install' in the checkout first (it builds the agent)"

echo "building the agent bundle"
node "$here/scripts/build.mjs" >/dev/null || fail "the agent does not build"
[ -f "$here/dist/openssm-agent.cjs" ] || fail "no bundle in $here/dist"
node "$here/dist/openssm-agent.cjs" --version >/dev/null || fail "the agent's bundle does not run"

echo "installing into $prefix"
mkdir -p "$prefix/dist"
cp "$here/dist/openssm-agent.cjs" "$here/dist/yaml.cjs" "$prefix/dist/"
cp "$here/dist-files/openssm-agent.service" "$prefix/openssm-agent.service"
cp "$here/README.md" "$prefix/README.md" 2>/dev/null || true
# package.json: the version the agent reports (its dependencies are in the bundle, but node-pty)
node -e '
  const pkg = require(process.argv[1]);
  const out = { name: "openssm-agent-installed", version: pkg.version, private: true, type: "module" };
  require("fs").writeFileSync(process.argv[2], JSON.stringify(out, null, 2) + "\n");
' "$here/package.json" "$prefix/package.json"
# node-pty (interactive sessions): its package.json, its JavaScript and the binary built for this machine.
pty=$(cd "$here" && node -p 'require("path").dirname(require.resolve("node-pty/package.json"))') || fail "node-pty is not installed in the checkout (npm install)"
native=""
for d in build/Release "prebuilds/linux-$(node -p process.arch)"; do [ -f "$pty/$d/pty.node" ] && { native=$d; break; }; done
[ -n "$native" ] || fail "node-pty has no binary for this machine in $pty (npm rebuild node-pty)"
rm -rf "$prefix/node_modules"
mkdir -p "$prefix/node_modules/node-pty/lib/shared" "$prefix/node_modules/node-pty/$native"
cp "$pty/package.json" "$pty/LICENSE" "$prefix/node_modules/node-pty/"
for f in "$pty"/lib/*.js "$pty"/lib/shared/*.js; do
  case "$f" in *.test.js|*/windows*|*/conpty*) ;; *) cp "$f" "$prefix/node_modules/node-pty/${f#"$pty"/}" ;; esac
done
cp "$pty/$native/pty.node" "$prefix/node_modules/node-pty/$native/"
[ -f "$pty/$native/spawn-helper" ] && cp "$pty/$native/spawn-helper" "$prefix/node_modules/node-pty/$native/"
(cd "$prefix" && node -e 'require("node-pty")') || fail "node-pty does not load from $prefix"

mkdir -p "$bin_dir"
# MALLOC_ARENA_MAX=1: fewer glibc malloc arenas, less idle memory; the agent removes it from its
# environment at start, so the commands it runs do not inherit it.
# --no-sparkplug: no baseline compiler (about 0.4 MiB less idle memory: the code V8 would compile
# at start-up); hot code (a session's data) is still optimised. Not --jitless / --lite-mode: they
# save 0.5 MiB more but interpret everything (a port forwarding session's websocket masking drops
# from ~60 MB/s to ~3 MB/s).
cat > "$bin_dir/openssm-agent" <<WRAPPER
#!/bin/sh
MALLOC_ARENA_MAX=1 OPENSSM_AGENT_MALLOC_ARENA_MAX=1 exec node --no-sparkplug "$prefix/dist/openssm-agent.cjs" "\$@"
WRAPPER
chmod 755 "$bin_dir/openssm-agent"

if [ "$user" != root ]; then
  if ! id "$user" >/dev/null 2>&1; then
    echo "creating system user $user"
    useradd --system --home-dir "$data_dir" --shell /usr/sbin/nologin "$user" 2>/dev/null ||
      adduser --system --home "$data_dir" --no-create-home "$user" ||
      fail "could not create user $user"
  fi
fi
mkdir -p "$data_dir"
chmod 700 "$data_dir"
[ "$user" = root ] || chown "$user" "$data_dir"

if [ -n "$register_args" ]; then
  echo "registering this node"
  if [ "$user" = root ]; then
    eval "\"$bin_dir/openssm-agent\" register --data-dir \"$data_dir\" $register_args"
  else
    eval "su -s /bin/sh \"$user\" -c \"'$bin_dir/openssm-agent' register --data-dir '$data_dir' $register_args\""
  fi
fi

if [ "$service" = yes ]; then
  command -v systemctl >/dev/null 2>&1 || fail "no systemd here: run '$bin_dir/openssm-agent run --data-dir $data_dir' under your init system, or use --no-service"
  unit=/etc/systemd/system/openssm-agent.service
  exec_start="$bin_dir/openssm-agent run --data-dir $data_dir"
  [ "$user" = root ] && exec_start="$exec_start --reboot-command \"/sbin/shutdown -r +1\""
  sed -e "s|^User=.*|User=$user|" -e "s|^ExecStart=.*|ExecStart=$exec_start|" "$here/dist-files/openssm-agent.service" > "$unit"
  systemctl daemon-reload
  if [ -f "$data_dir/identity.json" ]; then
    systemctl enable --now openssm-agent
    echo "openssm-agent is running: systemctl status openssm-agent; journalctl -u openssm-agent -f"
  else
    systemctl enable openssm-agent
    echo "installed; register the node, then start it:"
    echo "  sudo -u $user $bin_dir/openssm-agent register --data-dir $data_dir --code CODE --id ID --endpoint URL --tls-endpoint URL --ca-file CA.pem"
    echo "  sudo systemctl start openssm-agent"
  fi
else
  echo "installed: $bin_dir/openssm-agent run --data-dir $data_dir"
fi
