#!/usr/bin/env bash
# Release artefacts: one static binary per platform, packed as
# jobernetes-VERSION-OS-ARCH.tar.gz (the binary and the documentation: README.md,
# BENCHMARKS.md, docs/, and the examples/ and schema/ that they link to),
# their SHA-256 sums in SHA256SUMS, and the krew manifest filled in from them.
# A relative link of README.md or docs/ that the archive cannot follow fails
# it (BENCHMARKS.md also links to the benchmarks' sources, which stay out).
#
#   hack/dist.sh OUT_DIR VERSION LDFLAGS [RELEASE_URL]
#
# DIST_PLATFORMS (default: linux/amd64 linux/arm64 darwin/amd64 darwin/arm64)
# picks the platforms. Archives are reproducible: sorted names, fixed owner
# and mtime (the commit's), gzip without a time stamp.
set -euo pipefail

out=${1:?OUT_DIR}
version=${2:?VERSION}
ldflags=${3:?LDFLAGS}
release_url=${4:-https://github.com/jobernetes/jobernetes/releases/download/$version}
platforms=${DIST_PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64}
root=$(cd "$(dirname "$0")/.." && pwd)
mtime=$(git -C "$root" log -1 --format=%cI 2>/dev/null || echo 2000-01-01T00:00:00Z)

# The documentation, with what its links reach.
shipped=(README.md BENCHMARKS.md docs examples schema)

# check_links fails when a relative link of README.md or a page of docs/
# under $1 names a file that is not there.
check_links() {
  local dir=$1 page link target bad=0
  while IFS= read -r page; do
    while IFS= read -r link; do
      target=${link%%#*}
      case $target in '' | *://* | mailto:*) continue ;; esac
      if [[ ! -e "$(dirname "$page")/$target" ]]; then
        echo "dist: ${page#"$dir"/} links to $target, which the archive does not hold" >&2
        bad=1
      fi
    done < <(grep -o '](\([^)]*\))' "$page" | sed 's/^](\(.*\))$/\1/')
  done < <(find "$dir/README.md" "$dir/docs" -name '*.md')
  return $bad
}

rm -rf "$out"
mkdir -p "$out"
manifest=$(cat "$root/hack/krew/jobernetes.yaml")
for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  name=jobernetes-$version-$os-$arch
  stage=$out/.stage/$name
  mkdir -p "$stage"
  echo "building $name"
  (cd "$root" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$stage/jobernetes" ./cmd/jobernetes)
  (cd "$root" && git ls-files -z -- "${shipped[@]}" | xargs -0 cp --parents -t "$stage")
  check_links "$stage"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" -C "$stage" -cf - jobernetes "${shipped[@]}" |
    gzip -n -9 >"$out/$name.tar.gz"
  sum=$(cd "$out" && sha256sum "$name.tar.gz")
  echo "$sum" >>"$out/SHA256SUMS"
  manifest=${manifest//@SHA256_${os}_${arch}@/${sum%% *}}
done
rm -rf "$out/.stage"
manifest=${manifest//@VERSION@/$version}
manifest=${manifest//@RELEASE_URL@/$release_url}
# The template's header comment is about the template, not the result.
printf '%s\n' "$manifest" | sed '1,/^apiVersion:/{/^#/d}' >"$out/jobernetes.yaml"
echo "wrote $out:"
(cd "$out" && ls -1)
