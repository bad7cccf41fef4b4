#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tests/package/test-install.sh [--keep] [DEB]
#
# The Debian package, installed the way an administrator installs it: a fresh
# Debian 12 root made with debootstrap (no compiler, no -dev package), the
# .deb installed there with apt so that its dependencies resolve, then:
#   - apt pulled in runtime libraries only: no -dev package, no compiler;
#   - `ktriage --help`, `man ktriage` (and ktriaged(8), ktriaged.conf(5));
#   - `ktriaged --check-config` accepts the installed configuration, and
#     refuses a broken one;
#   - the conffile, the enabled unit, the journal catalog, the state
#     directory, the completion;
#   - the installed ktriage triages the bundled sample dump, and the installed
#     ktriaged triages it unattended (journal off: no journald in a chroot);
#   - both kdump hooks queue a dump with `ktriage notify`;
#   - purge removes the configuration, the state and the unit's links.
#
# Needs root, debootstrap and Debian's mirror; takes two to three minutes (the
# bootstrap's packages are cached in $KT_DEBOOTSTRAP_CACHE).  Not part of
# `make check`.  Run from the top of the tree, after `make deb`:
#
#   sudo tests/package/test-install.sh
#
# Environment: KT_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# KT_DEBOOTSTRAP_CACHE (default /tmp/kt/debootstrap-cache), TMPDIR.

# `check && pass || fail`: pass only prints, so fail runs only when check fails.
# shellcheck disable=SC2015
# Single quotes hold what the root's shell, dpkg-query or bash expands.
# shellcheck disable=SC2016
set -eu

keep=no
if [ "${1:-}" = --keep ]; then
	keep=yes
	shift
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$top/VERSION")
deb=${1:-$top/build/deb/ktriage_${version}_$(dpkg --print-architecture).deb}
mirror=${KT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${KT_DEBOOTSTRAP_CACHE:-/tmp/kt/debootstrap-cache}
sample=$top/samples/cgroup_deadlock/vmcore.kdump

failures=0
step() { printf '== %s\n' "$*"; }
pass() { printf '   ok: %s\n' "$*"; }
fail() {
	printf '   FAIL: %s\n' "$*" >&2
	failures=$((failures + 1))
}
die() {
	printf 'test-install: %s\n' "$*" >&2
	exit 2
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "needs debootstrap (apt-get install debootstrap)"
[ -f "$deb" ] || die "$deb: no such package; run 'make deb' first"
[ -f "$sample" ] || die "$sample: missing"
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")

mkdir -p "$cache"
root=$(mktemp -d "${TMPDIR:-/tmp}/ktriage-pkgtest.XXXXXX")
cleanup() {
	umount "$root/proc" 2>/dev/null || true
	if [ $keep = yes ]; then
		echo "root kept in $root"
	else
		rm -rf "$root"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# In the root, with a clean environment: what an administrator's shell has.
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
packages() {
	in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' |
		awk '$1 == "ii" { print $2 }' | sort
}

step "debootstrap bookworm (minbase) into $root"
if ! debootstrap --variant=minbase --cache-dir="$cache" bookworm "$root" "$mirror" \
	>"$root.debootstrap.log" 2>&1; then
	tail -20 "$root.debootstrap.log" >&2
	die "debootstrap failed (log: $root.debootstrap.log)"
fi
rm -f "$root.debootstrap.log"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A chroot starts no services (as Debian's image builders do).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
for tool in gcc cc make dpkg-buildpackage pkg-config; do
	if in_root sh -c "command -v $tool" >/dev/null; then
		fail "the fresh root already has $tool"
	fi
done

step "apt-get install man-db systemd (what the machine has before ktriage)"
in_root apt-get update -qq >/dev/null
in_root apt-get install -y -qq man-db systemd >/dev/null 2>&1 ||
	die "apt-get install man-db systemd failed in the root"
packages >"$root/tmp/before"

step "apt-get install $(basename "$deb")"
cp "$deb" "$root/tmp/"
if ! in_root apt-get install -y "/tmp/$(basename "$deb")" >"$root/tmp/apt.log" 2>&1; then
	cat "$root/tmp/apt.log" >&2
	die "apt-get install of the package failed"
fi
packages >"$root/tmp/after"
added=$(comm -13 "$root/tmp/before" "$root/tmp/after" | tr '\n' ' ')
echo "   installed: $added"
case " $added " in
*" ktriage "*) pass "ktriage is installed" ;;
*) fail "ktriage is not among the installed packages" ;;
esac
# shellcheck disable=SC2086 # one package a line
build_tools=$(printf '%s\n' $added |
	grep -E -- '-dev$|^build-essential$|^(gcc|g\+\+|cpp|clang)(-[0-9.]+)?$|^make$|^dpkg-dev$|^pkgconf|^pkg-config$|^libc6-dev$' || true)
if [ -n "$build_tools" ]; then
	fail "installing the package pulled in build tools: $(echo "$build_tools" | tr '\n' ' ')"
else
	pass "only runtime packages were pulled in"
fi

step "ktriage --help, --version"
if out=$(in_root ktriage --help) && echo "$out" | grep -q '^Usage: ktriage COMMAND'; then
	pass "ktriage --help"
else
	fail "ktriage --help: $out"
fi
out=$(in_root ktriage --version || true)
[ "$out" = "ktriage $version" ] && pass "ktriage --version: $out" ||
	fail "ktriage --version said '$out', not 'ktriage $version'"
out=$(in_root ktriaged --version || true)
[ "$out" = "ktriaged $version" ] && pass "ktriaged --version: $out" ||
	fail "ktriaged --version said '$out', not 'ktriaged $version'"

step "man pages"
for page in "1 ktriage" "8 ktriaged" "5 ktriaged.conf"; do
	# shellcheck disable=SC2086 # section and name
	set -- $page
	if out=$(in_root env MANPAGER=cat MANWIDTH=80 man "$1" "$2" 2>&1) &&
		echo "$out" | grep -q "^ *$2 - "; then
		pass "man $1 $2: $(echo "$out" | grep -m1 "^ *$2 - " | sed 's/^ *//')"
	else
		fail "man $1 $2: $(echo "$out" | head -3)"
	fi
done
out=$(in_root env MANPAGER=cat MANWIDTH=80 man ktriage)
for section in "EXIT STATUS" FILES ENVIRONMENT EXAMPLES "SEE ALSO"; do
	echo "$out" | grep -q "^$section" || fail "man ktriage has no $section section"
done
for command in info check dmesg sym ps bt mod kmem sys locks analyze list show retriage notify; do
	echo "$out" | grep -Eq "^ {7}$command " || fail "man ktriage does not describe '$command'"
done
pass "man ktriage has every section and command"

step "ktriaged --check-config"
if out=$(in_root ktriaged --check-config 2>&1); then
	pass "the installed /etc/ktriage/ktriaged.conf is accepted"
	echo "$out" | grep -q '^directories = /var/crash$' ||
		fail "--check-config printed no 'directories = /var/crash': $out"
else
	fail "ktriaged --check-config refused the installed configuration: $out"
fi
in_root ktriaged --check-config --config /etc/ktriage/ktriaged.conf >/dev/null 2>&1 ||
	fail "ktriaged --check-config --config /etc/ktriage/ktriaged.conf failed"
cp "$root/etc/ktriage/ktriaged.conf" "$root/tmp/broken.conf"
printf '[analysis]\nworkers = lots\n' >>"$root/tmp/broken.conf"
if out=$(in_root ktriaged --check-config --config /tmp/broken.conf 2>&1); then
	fail "ktriaged --check-config accepted 'workers = lots'"
else
	echo "$out" | grep -q '/tmp/broken.conf:[0-9]*:.*workers' &&
		pass "a broken configuration is refused: $out" ||
		fail "the refusal does not name the file, line and key: $out"
fi

step "what the package installed"
in_root dpkg-query -W -f='${Conffiles}\n' ktriage | grep -q '^ /etc/ktriage/ktriaged.conf ' &&
	pass "/etc/ktriage/ktriaged.conf is a conffile" ||
	fail "/etc/ktriage/ktriaged.conf is not a conffile"
[ -L "$root/etc/systemd/system/multi-user.target.wants/ktriaged.service" ] &&
	pass "ktriaged.service is enabled (multi-user.target.wants)" ||
	fail "ktriaged.service is not enabled"
grep -q '^ExecStart=/usr/sbin/ktriaged$' "$root/lib/systemd/system/ktriaged.service" &&
	pass "the unit runs /usr/sbin/ktriaged" ||
	fail "the unit's ExecStart is $(grep '^ExecStart=' "$root/lib/systemd/system/ktriaged.service")"
if out=$(in_root systemd-analyze verify ktriaged.service 2>&1) && [ -z "$out" ]; then
	pass "systemd-analyze verify ktriaged.service"
else
	fail "systemd-analyze verify ktriaged.service: $out"
fi
in_root journalctl --list-catalog 2>/dev/null | grep -q '^bceb464aba9b42369946f2d1b7176d75 ' &&
	pass "the journal catalog is indexed (systemd's trigger ran journalctl --update-catalog)" ||
	fail "journalctl --list-catalog does not know bceb464aba9b42369946f2d1b7176d75"
mode=$(stat -c %a "$root/var/lib/ktriage" 2>/dev/null || echo missing)
[ "$mode" = 750 ] && pass "/var/lib/ktriage, mode 0750" ||
	fail "/var/lib/ktriage: $mode, not mode 0750"
out=$(in_root bash -c '. /usr/share/bash-completion/completions/ktriage
	complete -p ktriage ktriaged
	COMP_WORDS=(ktriage lo); COMP_CWORD=1; _ktriage; echo "${COMPREPLY[*]}"
	COMP_WORDS=(ktriage list --verdict hung); COMP_CWORD=3; _ktriage; echo "${COMPREPLY[*]}"' 2>&1)
expected='complete -F _ktriage ktriage
complete -F _ktriaged ktriaged
locks
hung_task'
[ "$out" = "$expected" ] && pass "bash completion for ktriage and ktriaged" ||
	fail "bash completion: $out"

step "the installed ktriage on the sample dump"
mkdir -p "$root/srv/dumps/sample"
cp "$sample" "$root/srv/dumps/sample/vmcore"
out=$(in_root ktriage analyze --json /srv/dumps/sample/vmcore 2>&1 | grep '"verdict"' | head -1)
case $out in
*'"cgroup_deadlock"'*) pass "ktriage analyze: $(echo "$out" | sed 's/^ *//')" ;;
*) fail "ktriage analyze on the sample: $out" ;;
esac

step "the installed ktriaged triages the sample unattended"
printf '[watch]\ndirectories = /srv/dumps\npstore =\n[outputs]\njournal = no\nprometheus_textfile =\n' \
	>"$root/tmp/test.conf"
in_root sh -c 'ktriaged --config /tmp/test.conf --state-dir /tmp/state >/tmp/ktriaged.log 2>&1 &
	echo $! >/tmp/ktriaged.pid'
state=
for _ in $(seq 1 120); do
	state=$(in_root ktriage list --state-dir /tmp/state --json 2>/dev/null | grep '"state"' | head -1 || true)
	case $state in *'"triaged"'* | *'"failed"'* | *'"timeout"'* | *'"crashed"'*) break ;; esac
	sleep 0.5
done
kill "$(cat "$root/tmp/ktriaged.pid")" 2>/dev/null || true
case $state in
*'"triaged"'*) pass "ktriage list: $(in_root ktriage list --state-dir /tmp/state 2>/dev/null | tail -1)" ;;
*) fail "ktriaged did not triage the sample (list: $state); its log: $(tail -5 "$root/tmp/ktriaged.log")" ;;
esac

step "kdump hooks queue the dump with ktriage notify"
# RHEL's kdump_post, as the capture kernel runs it: the dumped root at
# /sysroot (here: the test root), `kdump-post 0` after a dump to /var/crash.
rm -rf "$root/var/lib/ktriage/spool"
dumpdir=/var/crash/127.0.0.1-2026-11-23-20:40:00
mkdir -p "$root$dumpdir"
cp "$sample" "$root$dumpdir/vmcore"
# As kdumpctl writes it into the initramfs: the root's device, then the path.
printf 'xfs /dev/mapper/root\npath /var/crash\ncore_collector makedumpfile -l -d 31\n' >"$root/tmp/kdump.conf"
KTRIAGE_KDUMP_ROOT=$root KDUMP_CONFIG_FILE=$root/tmp/kdump.conf \
	"$root/usr/libexec/ktriage/kdump-post" 0 2>"$root/tmp/hook.log" ||
	fail "kdump-post exited non-zero: $(cat "$root/tmp/hook.log")"
if cat "$root"/var/lib/ktriage/spool/scan-* 2>/dev/null | grep -qx "scan $dumpdir"; then
	pass "kdump-post: $(cat "$root/tmp/hook.log")"
else
	fail "kdump-post queued no 'scan $dumpdir': $(cat "$root/tmp/hook.log")"
fi
KTRIAGE_KDUMP_ROOT=$root KDUMP_CONFIG_FILE=$root/tmp/kdump.conf \
	"$root/usr/libexec/ktriage/kdump-post" 1 2>"$root/tmp/hook.log" &&
	grep -q 'failed (status 1)' "$root/tmp/hook.log" &&
	pass "kdump-post after a failed dump: $(cat "$root/tmp/hook.log")" ||
	fail "kdump-post 1: $(cat "$root/tmp/hook.log")"

# kdump-tools: the drop-in's script, with kdump-config and reboot stubbed (no
# capture kernel here): the dump is saved, queued, then the machine reboots.
rm -rf "$root/var/lib/ktriage/spool"
mkdir -p "$root/tmp/stubs"
cat >"$root/tmp/stubs/kdump-config" <<'EOF'
#!/bin/sh
# As kdump-config: its settings from the defaults file.
. "$KDUMP_DEFAULTS"
[ "$1" = savecore ] || exit 2
[ -e /tmp/savecore-fails ] && exit 1
stamp=202611232041
mkdir -p "$KDUMP_COREDIR/$stamp"
cp /srv/dumps/sample/vmcore "$KDUMP_COREDIR/$stamp/dump.$stamp"
EOF
printf '#!/bin/sh\necho "reboot $*" >>/tmp/actions\n' >"$root/tmp/stubs/reboot"
printf '#!/bin/sh\necho "fail-cmd" >>/tmp/actions\n' >"$root/tmp/stubs/fail-cmd"
chmod 0755 "$root"/tmp/stubs/*
printf 'USE_KDUMP=1\nKDUMP_COREDIR=/var/crash\nKDUMP_FAIL_CMD=/tmp/stubs/fail-cmd\n' >"$root/tmp/kdump-tools"
echo dump >"$root/tmp/vmcore"
run_savecore() {
	rm -f "$root/tmp/actions"
	in_root env PATH=/tmp/stubs:/usr/sbin:/usr/bin:/sbin:/bin KDUMP_DEFAULTS=/tmp/kdump-tools \
		KTRIAGE_VMCORE=/tmp/vmcore /usr/libexec/ktriage/kdump-tools-savecore >"$root/tmp/hook.log" 2>&1
}
if run_savecore && [ "$(cat "$root/tmp/actions")" = "reboot -f" ] &&
	cat "$root"/var/lib/ktriage/spool/scan-* 2>/dev/null | grep -qx 'scan /var/crash/202611232041'; then
	pass "kdump-tools-savecore: saved, queued, rebooted ($(grep queued "$root/tmp/hook.log"))"
else
	fail "kdump-tools-savecore: $(cat "$root/tmp/hook.log"); actions: $(cat "$root/tmp/actions" 2>/dev/null)"
fi
rm -rf "$root/var/lib/ktriage/spool" "$root/var/crash/202611232041"
touch "$root/tmp/savecore-fails"
if run_savecore && [ "$(cat "$root/tmp/actions")" = fail-cmd ] &&
	! ls "$root"/var/lib/ktriage/spool/scan-* >/dev/null 2>&1; then
	pass "kdump-tools-savecore after a failed save: KDUMP_FAIL_CMD, nothing queued"
else
	fail "kdump-tools-savecore, failed save: $(cat "$root/tmp/hook.log"); actions: $(cat "$root/tmp/actions" 2>/dev/null)"
fi

step "apt-get purge ktriage"
in_root apt-get purge -y -qq ktriage >/dev/null 2>&1 || fail "apt-get purge ktriage failed"
for path in /etc/ktriage /var/lib/ktriage /etc/systemd/system/multi-user.target.wants/ktriaged.service \
	/usr/bin/ktriage /usr/sbin/ktriaged; do
	if [ -e "$root$path" ] || [ -L "$root$path" ]; then
		fail "$path is still there after purge"
	fi
done
[ -e "$root$dumpdir/vmcore" ] || fail "purge removed a dump"
pass "purge removed the configuration, the state and the unit's link, and kept the dumps"

echo
if [ $failures -gt 0 ]; then
	echo "test-install: $failures check(s) failed"
	exit 1
fi
echo "test-install: every check passed"
