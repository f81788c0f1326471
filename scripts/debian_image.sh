#!/usr/bin/env bash
# Builds a real, multi-layer Debian image (OCI layout) from Debian's packages,
# for the measurements of the README (not run by CI: it downloads ~300 MB and
# needs root for debootstrap and chroot).
#
#   scripts/debian_image.sh DIR      # DIR/oci is the layout, tag "sci"
#
# Layers, each made by `umoci repack` (so whiteouts are umoci's own):
#   1. debootstrap --variant=minbase bookworm
#   2. apt-get install python3-scipy python3-matplotlib build-essential, apt lists
#      removed, /usr/share/doc removed (whiteouts of layer-1 files)
#   3. a user added (replaced /etc/passwd, /etc/group, /etc/shadow), a file
#      replaced by a folder and a hard link
# Push it with: skopeo copy --dest-tls-verify=false oci:DIR/oci:sci docker://HOST/debian:sci
set -euo pipefail
dir=${1:?usage: $0 DIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$dir"
cd "$dir"
[ -d base ] || debootstrap --variant=minbase bookworm base "$mirror"
rm -rf oci bundle
umoci init --layout oci
umoci new --image oci:sci
umoci unpack --image oci:sci bundle
cp -a base/. bundle/rootfs/
umoci repack --refresh-bundle --image oci:sci bundle
chroot bundle/rootfs /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-scipy python3-matplotlib build-essential >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/share/doc'
umoci repack --refresh-bundle --image oci:sci bundle
chroot bundle/rootfs /bin/sh -c 'useradd -m researcher && rm /etc/issue && mkdir /etc/issue && echo hi > /etc/issue/motd && ln /etc/issue/motd /etc/issue/motd.link'
umoci repack --refresh-bundle --image oci:sci bundle
umoci config --image oci:sci --config.cmd python3 >/dev/null
du -sh bundle/rootfs
find bundle/rootfs | wc -l
