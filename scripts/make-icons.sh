#!/usr/bin/env sh
# Renders every app icon from the one source image, build/icon.svg. The results are committed, so
# neither CI nor `npm run dist` needs these tools; run this again only after editing the SVG.
#
# Needs (Debian package names): librsvg2-bin (rsvg-convert), imagemagick (convert, for the .ico)
# and icnsutils (png2icns, for the .icns):
#   apt-get install -y librsvg2-bin imagemagick icnsutils
#
# Writes:
#   build/icons/<N>x<N>.png  N = 16 32 48 64 128 256 512 1024  (Linux: electron-builder's icon set
#                            directory, installed to /usr/share/icons/hicolor/<N>x<N>/apps/)
#   build/icon.png           1024x1024 (the fallback electron-builder derives icons from)
#   build/icon.ico           Windows: 16 24 32 48 64 128 256 in one file (256 stored as PNG)
#   build/icon.icns          macOS: 16 32 128 256 512 1024 (png2icns picks the types by size)
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
src="$root/build/icon.svg"
out="$root/build"
# CONVERT=/usr/bin/convert picks a particular ImageMagick when another `convert` comes first in PATH.
convert_bin=${CONVERT:-convert}
if [ -z "${CONVERT:-}" ] && command -v magick >/dev/null 2>&1; then convert_bin=magick; fi

for tool in rsvg-convert png2icns "$convert_bin"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make-icons: $tool not found (see the comment at the top)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$out/icons"
for n in 16 24 32 48 64 128 256 512 1024; do
  rsvg-convert --width "$n" --height "$n" --keep-aspect-ratio "$src" --output "$tmp/$n.png"
done
for n in 16 32 48 64 128 256 512 1024; do
  cp "$tmp/$n.png" "$out/icons/${n}x${n}.png"
done
cp "$tmp/1024.png" "$out/icon.png"

"$convert_bin" "$tmp/16.png" "$tmp/24.png" "$tmp/32.png" "$tmp/48.png" "$tmp/64.png" "$tmp/128.png" "$tmp/256.png" \
  -define png:exclude-chunks=date,time "$out/icon.ico"

png2icns "$out/icon.icns" "$tmp/16.png" "$tmp/32.png" "$tmp/128.png" "$tmp/256.png" "$tmp/512.png" "$tmp/1024.png" >/dev/null

echo "make-icons: wrote build/icons/*.png, build/icon.png, build/icon.ico, build/icon.icns"
