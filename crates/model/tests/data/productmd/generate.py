"""Writes the sample productmd files beside this script with productmd itself.

    python3 -m venv /tmp/pmd && /tmp/pmd/bin/pip install productmd
    /tmp/pmd/bin/python generate.py

The compose: Fedora 41 with variants Server (and its child Server-optional)
and Workstation, on x86_64 and aarch64; and a layered EPEL 9 on RHEL 9.
"""

import os

import productmd.composeinfo as composeinfo
import productmd.images as images
import productmd.rpms as rpms

HERE = os.path.dirname(os.path.abspath(__file__))
ARCHES = ["x86_64", "aarch64"]


def compose_of(metadata, source):
    metadata.compose.id = source.compose.id
    metadata.compose.type = source.compose.type
    metadata.compose.date = source.compose.date
    metadata.compose.respin = source.compose.respin


def variant(ci, vid, uid, name, vtype, parent=None):
    v = composeinfo.Variant(ci)
    v.id, v.uid, v.name, v.type = vid, uid, name, vtype
    v.arches = set(ARCHES)
    if parent is not None:
        v.parent = parent
    for arch in ARCHES:
        v.paths.os_tree[arch] = "%s/%s/os" % (uid, arch)
        v.paths.packages[arch] = "%s/%s/os/Packages" % (uid, arch)
        v.paths.repository[arch] = "%s/%s/os" % (uid, arch)
    return v


def write_composeinfo():
    ci = composeinfo.ComposeInfo()
    ci.compose.id = "Fedora-41-20261101.0"
    ci.compose.type = "production"
    ci.compose.date = "20261101"
    ci.compose.respin = 0
    ci.compose.label = "RC-1.0"
    ci.compose.final = True
    ci.release.name = "Fedora"
    ci.release.short = "Fedora"
    ci.release.version = "41"
    ci.release.type = "ga"
    ci.release.is_layered = False
    server = variant(ci, "Server", "Server", "Fedora Server", "variant")
    server.add(variant(ci, "optional", "Server-optional", "optional", "optional", parent=server))
    ci.variants.add(variant(ci, "Workstation", "Workstation", "Fedora Workstation", "variant"))
    ci.variants.add(server)
    ci.dump(os.path.join(HERE, "composeinfo.json"))
    return ci


def write_rpms(ci):
    r = rpms.Rpms()
    compose_of(r, ci)
    bash_src = "bash-0:5.2.26-3.fc41.src"
    for uid in ["Server", "Server-optional", "Workstation"]:
        for arch in ARCHES:
            r.add(uid, arch, "bash-0:5.2.26-3.fc41.%s" % arch,
                  path="%s/%s/os/Packages/b/bash-5.2.26-3.fc41.%s.rpm" % (uid, arch, arch),
                  sigkey="a15b79cc", category="binary", srpm_nevra=bash_src)
            r.add(uid, arch, "bash-debuginfo-0:5.2.26-3.fc41.%s" % arch,
                  path="%s/%s/debug/tree/Packages/b/bash-debuginfo-5.2.26-3.fc41.%s.rpm" % (uid, arch, arch),
                  sigkey=None, category="debug", srpm_nevra=bash_src)
            r.add(uid, arch, bash_src,
                  path="%s/source/tree/Packages/b/bash-5.2.26-3.fc41.src.rpm" % uid,
                  sigkey="a15b79cc", category="source")
        r.add(uid, "x86_64", "kernel-core-2:6.11.4-301.fc41.x86_64",
              path="%s/x86_64/os/Packages/k/kernel-core-6.11.4-301.fc41.x86_64.rpm" % uid,
              sigkey="a15b79cc", category="binary", srpm_nevra="kernel-2:6.11.4-301.fc41.src")
    r.dump(os.path.join(HERE, "rpms.json"))


def write_images(ci):
    im = images.Images()
    compose_of(im, ci)
    for uid in ["Server", "Workstation"]:
        for arch in ARCHES:
            img = images.Image(im)
            img.path = "%s/%s/iso/Fedora-%s-dvd-%s-41-1.4.iso" % (uid, arch, uid, arch)
            img.mtime = 1730419200
            img.size = 2463006720
            img.volume_id = "Fedora-%s-dvd-%s-41" % (uid[0], arch)
            img.type = "dvd"
            img.format = "iso"
            img.arch = arch
            img.disc_number = 1
            img.disc_count = 1
            img.bootable = True
            img.implant_md5 = "2f8a8b6e2b0a4c6f1f3c3b7d9e0a1b2c"
            img.subvariant = uid
            img.add_checksum(None, "sha256", "e8c7a5f1" * 8)
            im.add(uid, arch, img)
        img = images.Image(im)
        img.path = "%s/x86_64/images/Fedora-%s-41-1.4.x86_64.qcow2" % (uid, uid)
        img.mtime = 1730419300
        img.size = 567803904
        img.volume_id = None
        img.type = "qcow2"
        img.format = "qcow2"
        img.arch = "x86_64"
        img.disc_number = 1
        img.disc_count = 1
        img.bootable = False
        img.implant_md5 = None
        img.subvariant = uid
        img.add_checksum(None, "sha256", "0123abcd" * 8)
        im.add(uid, "x86_64", img)
    im.dump(os.path.join(HERE, "images.json"))


def write_layered_composeinfo():
    ci = composeinfo.ComposeInfo()
    ci.compose.id = "EPEL-9-RHEL-9-20261101.ci.2"
    ci.compose.type = "ci"
    ci.compose.date = "20261101"
    ci.compose.respin = 2
    ci.release.name = "Fedora EPEL"
    ci.release.short = "EPEL"
    ci.release.version = "9"
    ci.release.type = "updates"
    ci.release.is_layered = True
    ci.base_product.name = "Red Hat Enterprise Linux"
    ci.base_product.short = "RHEL"
    ci.base_product.version = "9"
    ci.base_product.type = "ga"
    everything = composeinfo.Variant(ci)
    everything.id = everything.uid = everything.name = "Everything"
    everything.type = "variant"
    everything.arches = {"x86_64"}
    ci.variants.add(everything)
    ci.dump(os.path.join(HERE, "composeinfo-layered.json"))


if __name__ == "__main__":
    info = write_composeinfo()
    write_rpms(info)
    write_images(info)
    write_layered_composeinfo()
