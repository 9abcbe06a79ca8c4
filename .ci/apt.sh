# Sourced by the CI scripts (editors/vscode/ci.sh, web/ci.sh): install Debian packages with
# apt-get, as root or with sudo. Every failure is an error (the caller's `die`), never a silent
# pass. The sourcing script defines `say MESSAGE` and `die MESSAGE` first.

# apt_install PACKAGE...: apt-get update, then install the packages.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "installing $* needs apt-get, and there is none"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "installing $* needs root or sudo"
    sudo=(sudo)
  fi
  say "installing $* with apt-get"
  # Through env, since sudo drops the caller's environment.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
    || die "apt-get install $* failed"
}

# apt_ensure "COMMAND..." PACKAGE...: when any of the commands (a space-separated list) is
# missing, install the packages, then fail unless every command is there.
apt_ensure() {
  local commands="$1" cmd missing=()
  shift
  for cmd in $commands; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "missing: ${missing[*]}"
  apt_install "$@"
  for cmd in $commands; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is still missing after apt-get install $*"
  done
}
