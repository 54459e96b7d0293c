#!/usr/bin/env bash
# Checks, from a clean clone inside a fresh Debian 12 chroot, that the
# README's set-up works with nothing installed by hand, and that the
# Debian package builds, passes lintian and installs.
#
# usage: scripts/fresh-debian-check.sh [--full] [--keep] [WORKDIR]
#
# Run on demand as root (it is not part of scripts/check.sh: it downloads
# some hundred megabytes of packages and takes many minutes). Steps:
#   1. the chroot: mmdebstrap, variant "important" (what a minimal
#      Debian 12 install has), from this machine's configured apt sources,
#      of which only the entries for Debian 12's suites are kept
#      (bookworm, bookworm-updates, bookworm-security, ...): no host is
#      named here, and everything apt fetches inside comes from the same
#      list;
#   2. a clone of this repository's HEAD (committed work only) in
#      /root/dnshound inside, made with git outside (the chroot has no git,
#      as a fresh machine has none before the clone);
#   3. inside, as the README says: scripts/deps.sh (the packages of
#      scripts/deps-packages.txt), then the build (meson, ninja);
#   4. inside, the README's first set-up command (the main job);
#   5. inside, the package: apt-get build-dep (debian/control) and
#      scripts/packaging-packages.txt, dpkg-buildpackage -us -uc -b,
#      lintian, apt install ./dnshound_*.deb, dnshound --version,
#      the manual pages through man, systemd-analyze verify of the unit;
#   6. with --full: the README's second set-up command (the whole test
#      suite, scripts/check.sh).
#
# Step 6 in a chroot: the chroot shares the host's kernel, so the tests
# that start real DNS servers in a network namespace ("ip netns add")
# work when the script runs as root on the host: it bind-mounts the
# chroot onto itself (ip netns needs / to be a mount point, else "mount
# --make-rslave /" fails with EINVAL) and mounts /run as a shared tmpfs
# for /run/netns. Inside a container without CAP_SYS_ADMIN (a usual CI
# runner) namespaces cannot be made and those tests skip or fail there.
# The tests that need the peers' reference data (../shared/data/peers,
# beside the source tree) skip: a clean clone has none. Step 6 is
# opt-in because the suite runs twice (optimised and with the
# sanitizers) and starts every DNS server of the test bed.
#
# WORKDIR (default /var/tmp/dnshound-fresh) holds the chroot and the
# log of each step (WORKDIR/log/); the chroot is removed at the end unless
# --keep is given. The last line is "fresh-debian-check: N passed, N failed".
set -u
full=0
keep=0
work=/var/tmp/dnshound-fresh
for a in "$@"; do
	case "$a" in
	--full) full=1 ;;
	--keep) keep=1 ;;
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "fresh-debian-check: unknown option $a" >&2
		exit 2
		;;
	*) work=$a ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || {
	echo "fresh-debian-check: must run as root (mmdebstrap, chroot, mounts)" >&2
	exit 2
}

root=$work/chroot
logs=$work/log
passed=0
failed=0
mounted=()

cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[$i]}" 2>/dev/null
	done
	if [ "$keep" -eq 0 ] && [ -d "$root" ]; then
		rm -rf --one-file-system "$root"
	fi
}
trap cleanup EXIT

step() { # name, command...: runs one step, its output to log/NAME.log
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	"$@" >"$logs/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf 'ok   %-16s %4ds\n' "$name" $(($(date +%s) - t0))
	else
		failed=$((failed + 1))
		printf 'FAIL %-16s %4ds (exit %d), last lines of %s:\n' "$name" $(($(date +%s) - t0)) $rc "$logs/$name.log"
		tail -25 "$logs/$name.log" | sed 's/^/     /'
	fi
	return $rc
}

finish() {
	echo "fresh-debian-check: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

inside() { # command line run by bash in the chroot, in the clone
	chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive TERM=dumb \
		/bin/bash -c "cd /root/dnshound && $1"
}

# The configured sources' entries for Debian 12's suites, one line each.
debian_sources() {
	python3 - /etc/apt/sources.list /etc/apt/sources.list.d <<'PY'
import glob, os, re, sys

def debian(suite):
    return suite == 'bookworm' or suite.startswith('bookworm-') or suite.startswith('bookworm/')

out = []
files = [sys.argv[1]] if os.path.isfile(sys.argv[1]) else []
files += sorted(glob.glob(os.path.join(sys.argv[2], '*.list')))
files += sorted(glob.glob(os.path.join(sys.argv[2], '*.sources')))
for f in files:
    text = open(f).read()
    if f.endswith('.list'):
        for line in text.splitlines():
            line = line.split('#', 1)[0].split()
            if line and line[0] == 'deb':
                words = [w for w in line[1:] if not w.startswith('[')]
                if len(words) >= 3 and debian(words[1]):
                    out.append((words[0], words[1], words[2:]))
        continue
    for para in re.split(r'\n\s*\n', text):
        fields = {}
        key = None
        for line in para.splitlines():
            if line.startswith('#'):
                continue
            if line[:1].isspace() and key:
                fields[key] += ' ' + line.strip()
            elif ':' in line:
                key, val = line.split(':', 1)
                key = key.strip().lower()
                fields[key] = val.strip()
        if 'deb' not in fields.get('types', '').split():
            continue
        if fields.get('enabled', 'yes').lower() == 'no':
            continue
        for uri in fields.get('uris', '').split():
            for suite in fields.get('suites', '').split():
                if debian(suite):
                    out.append((uri, suite, fields.get('components', 'main').split()))
for uri, suite, comps in out:
    print('deb %s %s %s' % (uri, suite, ' '.join(comps)))
PY
}

mkdir -p "$logs"
if ! command -v mmdebstrap >/dev/null; then
	echo "fresh-debian-check: installing mmdebstrap on this machine" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null ||
		{ echo "fresh-debian-check: mmdebstrap is needed (apt-get install mmdebstrap)"; exit 1; }
fi
mapfile -t sources < <(debian_sources)
if [ ${#sources[@]} -eq 0 ] || ! printf '%s\n' "${sources[@]}" | grep -q ' bookworm '; then
	echo "fresh-debian-check: no Debian 12 (bookworm) entry in /etc/apt/sources.list*" >&2
	exit 1
fi
printf 'sources: %s\n' "${sources[@]}"

make_chroot() {
	rm -rf --one-file-system "$root"
	# Valid-Until is not checked: a snapshot of the archive, which a
	# machine may be configured with, has long expired Release files.
	mmdebstrap --variant=important --mode=root \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--aptopt='Acquire::Languages "none"' \
		bookworm "$root" "${sources[@]}"
}
step chroot make_chroot || finish

# The chroot's own mounts: what a booted machine has and the tests use.
# The chroot's directory is bound onto itself first: "ip netns add" runs
# "mount --make-rslave /", which fails (EINVAL) where / is no mount point.
for m in . proc sys dev dev/pts run; do
	case $m in
	.) mount --bind "$root" "$root" ;;
	proc) mount -t proc proc "$root/proc" ;;
	sys) mount --bind /sys "$root/sys" ;;
	dev) mount --bind /dev "$root/dev" ;;
	dev/pts) mount --bind /dev/pts "$root/dev/pts" ;;
	run) mount -t tmpfs -o mode=755 tmpfs "$root/run" && mount --make-shared "$root/run" ;;
	esac && mounted+=("$root/${m#.}")
done
cp /etc/resolv.conf "$root/etc/resolv.conf"

clone() {
	git clone --quiet --no-local --no-hardlinks "$top" "$root/root/dnshound" &&
		git -C "$root/root/dnshound" log --oneline -1
}
step clone clone || finish

# The README's set-up commands: the indented lines of its set-up section.
mapfile -t readme_cmds < <(sed -n '/^## Set-up/,/^## /p' "$root/root/dnshound/README.md" | sed -n 's/^    \(\S.*\)$/\1/p')
printf 'README set-up commands: %s\n' "${readme_cmds[@]}"

step deps inside 'bash scripts/deps.sh' || finish
step build inside 'meson setup build -Dbuildtype=release && ninja -C build -j2' || finish
if [ ${#readme_cmds[@]} -ge 1 ]; then
	step readme-first inside "${readme_cmds[0]}"
fi

step package-deps inside 'apt-get build-dep -y -q ./ &&
	grep -v "^#" scripts/packaging-packages.txt | xargs apt-get install -y -q --no-install-recommends' || finish
step package inside 'dpkg-buildpackage -us -uc -b && ls -l ../dnshound_*.deb' || finish
step lintian inside 'lintian --fail-on error,warning ../dnshound_*.changes; rc=$?; echo "lintian exit $rc"; exit $rc'
step install inside 'cd .. && apt install -y -q ./dnshound_*.deb && dnshound --version &&
	id dnshound && stat -c "%U:%G %a %n" /etc/dnshound &&
	test -f /usr/share/doc/dnshound/examples/agent-resolver.conf &&
	test -x /usr/share/dnshound/testbed-trace.sh && test -f /usr/share/dnshound/testbed/named-auth.conf'
step man inside 'for p in dnshound dnshound.conf $(dnshound --help | sed -n "s/^  \([a-z][a-z0-9-]*\) .*/dnshound-\1/p"); do
	out=$(MANWIDTH=80 man --warnings=w "$p" 2>&1 >/dev/null) || { echo "man $p failed"; exit 1; }
	[ -z "$out" ] || { echo "man $p: $out"; exit 1; }
	echo "man $p: ok"; done'
step unit inside 'if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify /lib/systemd/system/dnshound-agent.service && echo verified;
	else echo "systemd-analyze not installed in the chroot: skipped"; fi'

if [ "$full" -eq 1 ] && [ ${#readme_cmds[@]} -ge 2 ]; then
	step readme-second inside "${readme_cmds[1]}"
	grep -E '^[0-9]+ passed' "$logs/readme-second.log" | tail -1
fi
finish
