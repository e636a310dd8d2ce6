# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the KML project scripts. Source it; do not run it.

set -eu -o pipefail

KML_TOP=${KML_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KML_BUILD=${KML_BUILD:-$KML_TOP/build}
KML_CACHE=${KML_CACHE:-$KML_BUILD/cache}
KML_TREE=${KML_TREE:-$KML_BUILD/linux}
KML_VANILLA_TREE=${KML_VANILLA_TREE:-$KML_BUILD/linux-vanilla}

# Kernel messages that fail a boot: oops, BUG:, WARNING:, panic, faults
# and the call traces that come with them (grep -E).
KML_SPLAT_RE='(^|\] )(Oops|BUG:|WARNING:|Kernel panic|kernel BUG at|general protection fault,|double fault|UBSAN:|Call Trace:)'

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

# Import an upstream source tree as a root commit tagged upstream/<kver>.
# $1: unpacked source, $2: package version, $3: tarball checksum
kml_import_upstream() {
	local src=$1 ver=$2 sum=$3 kver=${2%%-*} idx tree_id gi date commit k v

	info "importing $UPSTREAM_PACKAGE $ver as upstream/$kver"
	if [ ! -d "$KML_TREE/.git" ]; then
		git init -q -b kml "$KML_TREE"
		# Commits made in the tree carry the developer's identity.
		for k in user.name user.email; do
			v=$(git -C "$KML_TOP" config "$k" 2>/dev/null) &&
				git -C "$KML_TREE" config "$k" "$v"
		done
	fi
	idx=$(git -C "$KML_TREE" rev-parse --absolute-git-dir)/kml-import.index
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git --git-dir="$KML_TREE/.git" --work-tree="$src" \
		-C "$src" add -f -A .
	# Debian's packaging appends rules to .gitignore that ignore every
	# top-level path; drop them so git sees new files in the tree.
	gi=$(sed '/^# Debian packaging: ignore everything/,$d' "$src/.gitignore" |
		sed -e '${/^#$/d}' | git -C "$KML_TREE" hash-object -w --stdin)
	GIT_INDEX_FILE=$idx git -C "$KML_TREE" update-index --cacheinfo "100644,$gi,.gitignore"
	tree_id=$(GIT_INDEX_FILE=$idx git -C "$KML_TREE" write-tree)
	rm -f "$idx"
	date="$(stat -c %Y "$src/Makefile") +0000"
	commit=$(GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
		GIT_AUTHOR_NAME=$KML_GIT_NAME GIT_AUTHOR_EMAIL=$KML_GIT_EMAIL \
		GIT_COMMITTER_NAME=$KML_GIT_NAME GIT_COMMITTER_EMAIL=$KML_GIT_EMAIL \
		git -C "$KML_TREE" commit-tree "$tree_id" <<-MSG
	Import $UPSTREAM_PACKAGE $ver

	The kernel source shipped in Debian's $UPSTREAM_PACKAGE package, version
	$ver: usr/src/$UPSTREAM_PACKAGE.tar.xz, SHA-256
	$sum.

	Every file is as in the tarball but one: the rules that Debian's
	packaging appends to .gitignore ("/*" and "!/debian/") are dropped,
	so that git sees new files at the top of this tree.
	MSG
	)
	git -C "$KML_TREE" tag -f "upstream/$kver" "$commit" >/dev/null
}

# The upstream the KML commits of build/linux sit on: the nearest
# upstream/* tag of HEAD. Sets BASE_TAG, BASE_VERSION and BASE_SHA256
# (read from the import commit).
kml_tree_base() {
	BASE_TAG=$(git -C "$KML_TREE" describe --tags --match 'upstream/*' \
		--abbrev=0 HEAD 2>/dev/null) ||
		die "HEAD of build/linux descends from no upstream/* tag. Fix: make tree."
	BASE_VERSION=$(git -C "$KML_TREE" log -1 --format=%s "$BASE_TAG" |
		sed -n "s/^Import $UPSTREAM_PACKAGE //p")
	BASE_SHA256=$(git -C "$KML_TREE" log -1 --format=%b "$BASE_TAG" |
		tr -s ' \n' '  ' | grep -oE '[0-9a-f]{64}' | head -1)
	[ -n "$BASE_VERSION" ] && [ -n "$BASE_SHA256" ] ||
		die "cannot read the version and checksum of $BASE_TAG from its commit."
}

# The short id of the KML series in build/linux that package names and
# kernel releases carry: 8 hex digits of HEAD, -dirty for uncommitted edits.
kml_series_id() {
	local id

	id=$(git -C "$KML_TREE" rev-parse --short=8 HEAD) || return 1
	[ -z "$(git -C "$KML_TREE" status --porcelain -uno)" ] || id=$id-dirty
	printf '%s\n' "$id"
}

# Write the pin file for @version and @sha256.
kml_write_pin() {
	sed -i -e "s/^UPSTREAM_VERSION=.*/UPSTREAM_VERSION=$1/" \
		-e "s/^UPSTREAM_SHA256=.*/UPSTREAM_SHA256=$2/" "$KML_TOP/UPSTREAM"
}
