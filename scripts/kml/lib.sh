# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the KML project scripts. Source it; do not run it.

set -eu -o pipefail

KML_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KML_BUILD=${KML_BUILD:-$KML_TOP/build}
KML_CACHE=${KML_CACHE:-$KML_BUILD/cache}
KML_TREE=${KML_TREE:-$KML_BUILD/linux}
KML_VANILLA_TREE=${KML_VANILLA_TREE:-$KML_BUILD/linux-vanilla}

# Identity used for the commits the project itself creates (the upstream
# import and the overlay commit), so that the assembled tree is reproducible.
KML_GIT_NAME="Kernel Mode Linux"
KML_GIT_EMAIL="kml@localhost"

die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

info() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# Load the upstream pin and derive the names built from it.
kml_load_pin() {
	local pin=${1:-$KML_TOP/UPSTREAM}

	[ -r "$pin" ] || die "pin file $pin is missing"
	UPSTREAM_PACKAGE=$(sed -n 's/^UPSTREAM_PACKAGE=//p' "$pin")
	UPSTREAM_VERSION=$(sed -n 's/^UPSTREAM_VERSION=//p' "$pin")
	UPSTREAM_SHA256=$(sed -n 's/^UPSTREAM_SHA256=//p' "$pin")
	[ -n "$UPSTREAM_PACKAGE" ] && [ -n "$UPSTREAM_VERSION" ] &&
		[ -n "$UPSTREAM_SHA256" ] ||
		die "$pin must set UPSTREAM_PACKAGE, UPSTREAM_VERSION and UPSTREAM_SHA256"
	# 6.12.117-1~deb12u1 -> 6.12.117
	UPSTREAM_KVER=${UPSTREAM_VERSION%%-*}
	UPSTREAM_TAG=upstream/$UPSTREAM_KVER
}

# The top-level kernel directories that KML's new files may live in. Paths
# of this repository under them form the overlay; scripts/kml/ is project
# tooling and never part of the kernel tree.
KML_OVERLAY_DIRS="arch block certs crypto Documentation drivers fs include init io_uring ipc kernel lib mm net rust samples scripts security sound tools usr virt"

# List the overlay files of this repository (tracked or not, but not
# ignored), one path a line, sorted.
kml_overlay_files() {
	local d dirs=()

	for d in $KML_OVERLAY_DIRS; do
		[ -e "$KML_TOP/$d" ] && dirs+=("$d")
	done
	{
		if [ ${#dirs[@]} -gt 0 ]; then
			git -C "$KML_TOP" ls-files --cached --others --exclude-standard \
				-- "${dirs[@]}" ':!:scripts/kml'
		fi
		git -C "$KML_TOP" ls-files --cached --others --exclude-standard \
			-- 'localversion*'
	} | while read -r f; do
		[ -f "$KML_TOP/$f" ] && printf '%s\n' "$f"
	done | LC_ALL=C sort -u
}

# Print the number of jobs for make.
kml_jobs() {
	nproc 2>/dev/null || echo 2
}

# A hash of everything the KML commits of build/linux are made from: the
# pin, the overlay files and the patch series.
kml_inputs_hash() {
	{
		cat "$KML_TOP/UPSTREAM"
		kml_overlay_files | while read -r f; do
			printf '%s %s %s\n' "$(stat -c %a "$KML_TOP/$f")" \
				"$(git hash-object "$KML_TOP/$f")" "$f"
		done
		if [ -f "$KML_TOP/patches/series" ]; then
			cat "$KML_TOP/patches/series"
			sed -e '/^#/d' -e '/^$/d' "$KML_TOP/patches/series" |
				while read -r p; do
					git hash-object "$KML_TOP/patches/$p"
				done
		fi
	} | sha256sum | cut -d' ' -f1
}

# Where build/linux records which HEAD it was assembled (or exported) at,
# and from which inputs.
kml_stampfile() {
	printf '%s/kml-assembled\n' "$(git -C "$KML_TREE" rev-parse --absolute-git-dir)"
}
