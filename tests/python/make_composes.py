"""Writes a series of Fedora 41 nightly composes, as kojipkgs serves them, with productmd itself.

Usage (with the virtualenv that scripts/py-venv makes)::

    python make_composes.py OUTDIR [--composes N] [--seed S] [--check]

N (default 6, at least 2) composes ``Fedora-41-YYYYMMDD.n.0``, one a week from
2026-09-01, are written as::

    OUTDIR/<compose_id>/STATUS                           FINISHED (the 4th: FINISHED_INCOMPLETE)
    OUTDIR/<compose_id>/compose/metadata/composeinfo.json
    OUTDIR/<compose_id>/compose/metadata/rpms.json
    OUTDIR/<compose_id>/compose/metadata/images.json
    OUTDIR/Fedora-41-20261201.n.0/STATUS                 DOOMED, an unfinished compose to skip
    OUTDIR/Fedora-41-20261201.n.0/compose/metadata/composeinfo.json   (its only metadata)
    OUTDIR/expected.json

(The DOOMED compose is dated a week after the last one when N reaches 2026-12-01.)

Variants: Everything, Server with its child Server-optional, Workstation and
XFCE, on x86_64 and aarch64; Everything and Server on ppc64le too. A tree is
one variant on one arch ("Server/x86_64"). About 70 source packages give each
tree its binary rpms (some noarch), a -debuginfo rpm per arch-specific package
(category debug, unsigned) and the src rpm (category source, listed under each
arch it has binaries for, as productmd wants); glibc.i686 is multilib in the
x86_64 trees of Everything and Server. Signed rpms carry sigkey e99d6ad1.

Between two composes, chosen by the seed and recorded as they are made (never
worked out by comparing versions): about five packages are upgraded, one or
two added, one removed; over the series one upgrade bumps only the epoch, one
bumps the epoch while the version goes back, one goes from a ``~`` version to
its release, one from a ``^`` snapshot to the next release and one rebuilds
glibc (so glibc.i686 moves too); one step downgrades a package (the revert
of an earlier upgrade where there is one). In one step nothing in any XFCE
tree changes: no package, and its images keep their size and checksum.
Every image grows 0.3-2% a step otherwise.

expected.json (keys sorted; lists sorted unless said)::

    {"composes": [compose ids in date order, the DOOMED one left out],
     "finished": [those whose STATUS is FINISHED or FINISHED_INCOMPLETE],
     "status": {compose id: STATUS without its newline, the DOOMED one too},
     "rpm_counts": {compose id: rpm entries in rpms.json, counted per variant, arch and NEVRA},
     "image_counts": {compose id: images in images.json},
     "steps": [{"old": id, "new": id,
                "trees": {"Server/x86_64": {
                    "added": [nevra], "removed": [nevra],
                    "upgraded": [[old nevra, new nevra]], "downgraded": [[old, new]],
                    "images_resized": [[old path, new path, old size, new size]],
                    "changed": bool}, ... every tree}}, ...],
     "image_sizes": {"Server/x86_64/dvd/iso/Server": [[compose id, size], ...in date order]}}

A NEVRA always carries its epoch (``bash-0:5.2.32-3.fc41.x86_64``); inside a
tree a package is its (name, arch), so a source bump is also an upgrade of
``bash.src`` and of ``bash-debuginfo.<arch>``. An image inside a tree is its
(type, format, subvariant); its paths are those of images.json, which carry
the compose's date, so "changed" is true when some rpm moved or some image
was resized (an unchanged image keeps its checksum).

``--check`` then reads every file back with productmd, works each step's
difference out of the files alone (rpm's version order, implemented here) and
asserts that it, the counts and the statuses are what expected.json says.

The same seed writes byte-identical files; a run takes well under a second.
"""

import argparse
import calendar
import dataclasses
import datetime
import hashlib
import json
import os
import random
import re
import shutil
import sys

import productmd.common
import productmd.composeinfo as composeinfo
import productmd.images as images
import productmd.rpms as rpms

SIGKEY = "e99d6ad1"
DIST = "fc41"
FIRST_DATE = datetime.date(2026, 9, 1)
DOOMED_DATE = datetime.date(2026, 12, 1)
MIB = 1024 * 1024
SECTOR = 2048

# uid, id, name, type, parent uid, arches
VARIANTS = [
    ("Everything", "Everything", "Fedora Everything", "variant", None, ("aarch64", "ppc64le", "x86_64")),
    ("Server", "Server", "Fedora Server", "variant", None, ("aarch64", "ppc64le", "x86_64")),
    ("Server-optional", "optional", "Fedora Server Optional", "optional", "Server", ("aarch64", "x86_64")),
    ("Workstation", "Workstation", "Fedora Workstation", "variant", None, ("aarch64", "x86_64")),
    ("XFCE", "XFCE", "Fedora XFCE", "variant", None, ("aarch64", "x86_64")),
]
TREES = [(uid, arch) for uid, _, _, _, _, arches in VARIANTS for arch in arches]

# Which variants a source package goes to.
BASE = ("Everything", "Server", "Workstation", "XFCE")
SERVER = ("Everything", "Server")
OPTIONAL = ("Everything", "Server-optional")
WORKSTATION = ("Everything", "Workstation")
XFCE = ("Everything", "XFCE")
EVERYTHING = ("Everything",)

# Multilib: these binaries of these sources also go, as i686, to these x86_64 trees.
MULTILIB = {"glibc": ("glibc",)}
MULTILIB_TREES = {("Everything", "x86_64"), ("Server", "x86_64")}

# name, epoch, version, binaries (a trailing * marks noarch), variants[, exclusive arches]
POOL = [
    ("bash", 0, "5.2.32", "bash bash-doc*", BASE),
    ("glibc", 0, "2.40", "glibc glibc-common glibc-langpack-en", BASE),
    ("kernel", 0, "6.11.4", "kernel kernel-core kernel-modules", BASE),
    ("systemd", 0, "256.7", "systemd systemd-libs systemd-udev", BASE),
    ("coreutils", 0, "9.5", "coreutils coreutils-common", BASE),
    ("openssl", 1, "3.2.2", "openssl openssl-libs", BASE),
    ("python3.13", 0, "3.13.0", "python3 python3-libs", BASE),
    ("dnf5", 0, "5.2.6.2", "dnf5 libdnf5", BASE),
    ("rpm", 0, "4.20.0", "rpm rpm-libs", BASE),
    ("util-linux", 0, "2.40.2", "util-linux util-linux-core", BASE),
    ("shadow-utils", 2, "4.15.1", "shadow-utils", BASE),
    ("sudo", 0, "1.9.15", "sudo", BASE),
    ("shim", 2, "15.8", "shim", BASE, ("aarch64", "x86_64")),
    ("grub2", 1, "2.12", "grub2-tools grub2-common*", BASE),
    ("NetworkManager", 1, "1.48.10", "NetworkManager NetworkManager-libnm", BASE),
    ("dbus", 1, "1.14.10", "dbus dbus-libs dbus-common*", BASE),
    ("zlib-ng", 0, "2.2.2", "zlib-ng-compat", BASE),
    ("xz", 1, "5.6.2", "xz xz-libs", BASE),
    ("curl", 0, "8.9.1", "curl libcurl", BASE),
    ("sed", 0, "4.9", "sed", BASE),
    ("grep", 0, "3.11", "grep", BASE),
    ("tar", 2, "1.35", "tar", BASE),
    ("gzip", 0, "1.13", "gzip", BASE),
    ("audit", 0, "4.0.2", "audit audit-libs", BASE),
    ("fedora-release", 0, "41", "fedora-release* fedora-release-common*", BASE),
    ("httpd", 0, "2.4.62", "httpd httpd-core httpd-filesystem*", SERVER),
    ("nginx", 2, "1.26.2", "nginx nginx-core nginx-filesystem*", SERVER),
    ("postgresql16", 0, "16.4", "postgresql16 postgresql16-server", SERVER),
    ("mariadb", 3, "10.11.9", "mariadb mariadb-server", SERVER),
    ("cockpit", 0, "325", "cockpit cockpit-bridge cockpit-system*", SERVER),
    ("podman", 5, "5.3.0~rc1", "podman podman-remote", SERVER),
    ("nmap", 3, "7.92", "nmap nmap-ncat", SERVER),
    ("bind", 32, "9.18.30", "bind bind-utils bind-license*", SERVER),
    ("samba", 2, "4.21.1", "samba samba-client", SERVER),
    ("nfs-utils", 1, "2.7.1", "nfs-utils", SERVER),
    ("gcc", 0, "14.2.1", "gcc gcc-c++ libgcc", OPTIONAL),
    ("make", 1, "4.4.1", "make", OPTIONAL),
    ("gdb", 0, "15.1", "gdb gdb-headless", OPTIONAL),
    ("strace", 0, "6.11", "strace", OPTIONAL),
    ("valgrind", 1, "3.23.0", "valgrind valgrind-devel", OPTIONAL),
    ("cmake", 0, "3.30.5", "cmake cmake-data* cmake-filesystem", OPTIONAL),
    ("gnome-shell", 0, "47.1", "gnome-shell", WORKSTATION),
    ("mutter", 0, "47.1", "mutter", WORKSTATION),
    ("gtk4", 0, "4.16.3", "gtk4 gtk4-devel", WORKSTATION),
    ("nautilus", 0, "47.0", "nautilus nautilus-extensions", WORKSTATION),
    ("firefox", 0, "131.0.3", "firefox firefox-langpacks", WORKSTATION),
    ("libreoffice", 1, "24.8.2.1", "libreoffice-core libreoffice-writer libreoffice-data*", WORKSTATION),
    ("ImageMagick", 1, "7.1.1.38", "ImageMagick ImageMagick-libs", WORKSTATION),
    ("flatpak", 0, "1.15.10", "flatpak flatpak-libs", WORKSTATION),
    ("pipewire", 0, "1.2.6", "pipewire pipewire-libs", WORKSTATION),
    ("mesa", 0, "24.2.4", "mesa-dri-drivers mesa-libGL", WORKSTATION),
    ("gnome-software", 0, "47.1", "gnome-software", WORKSTATION),
    ("python-requests", 0, "2.32.3", "python3-requests*", WORKSTATION),
    ("xfce4-panel", 0, "4.18.6", "xfce4-panel", XFCE),
    ("xfce4-session", 0, "4.18.4", "xfce4-session", XFCE),
    ("xfce4-settings", 0, "4.18.6", "xfce4-settings", XFCE),
    ("xfce4-terminal", 0, "1.1.3", "xfce4-terminal", XFCE),
    ("xfce4-power-manager", 0, "4.18.4", "xfce4-power-manager", XFCE),
    ("xfce4-notifyd", 0, "0.9.6", "xfce4-notifyd", XFCE),
    ("xfce4-appfinder", 0, "4.18.1", "xfce4-appfinder", XFCE),
    ("htop", 0, "3.3^20260815git1a2b3c4", "htop", EVERYTHING),
    ("vim", 2, "9.1.785", "vim-enhanced vim-common vim-data*", EVERYTHING),
    ("emacs", 1, "29.4", "emacs emacs-common", EVERYTHING),
    ("tmux", 0, "3.5", "tmux", EVERYTHING),
    ("git", 0, "2.47.0", "git git-core git-core-doc*", EVERYTHING),
    ("rust", 0, "1.82.0", "rust cargo", EVERYTHING),
    ("golang", 0, "1.23.2", "golang golang-bin", EVERYTHING),
    ("nodejs20", 1, "20.18.0", "nodejs nodejs-libs", EVERYTHING),
    ("zsh", 0, "5.9", "zsh", EVERYTHING),
    ("fish", 0, "3.7.1", "fish", EVERYTHING),
]

# Packages that steps add, taken in a seeded order.
NEWCOMERS = [
    ("toolbox", 0, "0.1.1", "toolbox", WORKSTATION),
    ("bootc", 0, "1.1.2", "bootc", SERVER),
    ("xfce4-screenshooter", 0, "1.11.1", "xfce4-screenshooter", XFCE),
    ("uv", 0, "0.4.30", "uv", EVERYTHING),
    ("fastfetch", 0, "2.28.0", "fastfetch", EVERYTHING),
    ("xfce4-taskmanager", 0, "1.5.7", "xfce4-taskmanager", XFCE),
    ("ramalama", 0, "0.2.0", "python3-ramalama*", SERVER),
    ("btop", 0, "1.4.0", "btop", EVERYTHING),
    ("incus", 0, "6.6", "incus incus-client", SERVER),
    ("xfce4-clipman-plugin", 0, "1.6.6", "xfce4-clipman-plugin", XFCE),
    ("helix", 0, "24.07", "helix", EVERYTHING),
    ("gnome-boxes", 0, "47.0", "gnome-boxes", WORKSTATION),
    ("ptyxis", 0, "47.1", "ptyxis", WORKSTATION),
    ("zoxide", 0, "0.9.6", "zoxide", EVERYTHING),
]

# Upgrades made once over the series, each in a seeded step: what rpm's order must get right.
SPECIAL = {
    "nmap": ("epoch_only", lambda s: dataclasses.replace(s, epoch=s.epoch + 1)),
    "ImageMagick": ("epoch_revert",
                    lambda s: dataclasses.replace(s, epoch=s.epoch + 1, version="6.9.13.16", release=1)),
    "podman": ("tilde", lambda s: dataclasses.replace(s, version="5.3.0", release=1)),
    "htop": ("caret", lambda s: dataclasses.replace(s, version="3.3.1", release=1)),
    "glibc": ("multilib", lambda s: dataclasses.replace(s, release=s.release + 1)),  # glibc.i686 too
}
RELEASE_ONLY = {"fedora-release"}  # its version is the release's

# uid, arch, type, format, subvariant, size in MiB, volume id
IMAGES = [
    ("Everything", arch, "boot", "iso", "Everything", 800, "Fedora-E-dvd-%s-41" % arch)
    for arch in ("aarch64", "ppc64le", "x86_64")
] + [
    ("Server", arch, "dvd", "iso", "Server", 2460, "Fedora-S-dvd-%s-41" % arch)
    for arch in ("aarch64", "ppc64le", "x86_64")
] + [
    ("Server", "x86_64", "qcow2", "qcow2", "Server_KVM", 500, None),
] + [
    ("Workstation", arch, "live", "iso", "Workstation", 2100, "Fedora-WS-Live-41")
    for arch in ("aarch64", "x86_64")
] + [
    ("XFCE", arch, "live", "iso", "XFCE", 1900, "Fedora-Xfce-Live-41")
    for arch in ("aarch64", "x86_64")
]


@dataclasses.dataclass(frozen=True)
class Source:
    """One source package at one EVR, with what it builds and where it goes."""

    name: str
    epoch: int
    version: str
    release: int  # the number before .fc41
    binaries: tuple  # of (name, noarch)
    variants: tuple
    arches: tuple = None  # ExclusiveArch, None for all

    def nevra(self, name, arch):
        return "%s-%d:%s-%d.%s.%s" % (name, self.epoch, self.version, self.release, DIST, arch)

    def file_name(self, name, arch):
        return "%s-%s-%d.%s.%s.rpm" % (name, self.version, self.release, DIST, arch)


@dataclasses.dataclass(frozen=True)
class Rpm:
    """One rpm entry of rpms.json: in tree (uid, tree_arch), package (name, arch)."""

    name: str
    arch: str
    nevra: str
    path: str
    sigkey: str
    category: str
    srpm_nevra: str


def make_source(entry, release):
    name, epoch, version, binaries, variants = entry[:5]
    arches = entry[5] if len(entry) > 5 else None
    parsed = tuple((b.rstrip("*"), b.endswith("*")) for b in binaries.split())
    return Source(name, epoch, version, release, parsed, variants, arches)


def tree_rpms(src, uid, arch):
    """The rpms that src puts in the tree (uid, arch), as pungi lays them out."""
    if uid not in src.variants or (src.arches and arch not in src.arches):
        return []
    srpm = src.nevra(src.name, "src")
    out = []

    def add(name, rpm_arch, category):
        file_name = src.file_name(name, rpm_arch)
        sub = {"binary": "%s/os" % arch, "debug": "%s/debug/tree" % arch, "source": "source/tree"}[category]
        path = "%s/%s/Packages/%s/%s" % (uid, sub, name[0].lower(), file_name)
        out.append(Rpm(name, rpm_arch, src.nevra(name, rpm_arch), path,
                       None if category == "debug" else SIGKEY, category,
                       None if category == "source" else srpm))

    for name, noarch in src.binaries:
        add(name, "noarch" if noarch else arch, "binary")
    if any(not noarch for _, noarch in src.binaries):
        add(src.name + "-debuginfo", arch, "debug")
    if src.name in MULTILIB and (uid, arch) in MULTILIB_TREES:
        for name in MULTILIB[src.name]:
            add(name, "i686", "binary")
        add(src.name + "-debuginfo", "i686", "debug")
    add(src.name, "src", "source")
    return out


def bump_version(version):
    """Raises the last number of version: 2.4.62 -> 2.4.63."""
    digits = list(re.finditer(r"\d+", version))[-1]
    return version[:digits.start()] + str(int(digits.group()) + 1) + version[digits.end():]


def compose_id(date):
    return "Fedora-41-%s.n.0" % date.strftime("%Y%m%d")


def tree_key(uid, arch):
    return "%s/%s" % (uid, arch)


def image_key(spec):
    uid, arch, itype, fmt, sub = spec[:5]
    return "%s/%s/%s/%s/%s" % (uid, arch, itype, fmt, sub)


def image_path(spec, cid):
    uid, arch, itype, fmt, _ = spec[:5]
    ver = cid[len("Fedora-"):]  # 41-20260901.n.0
    if itype == "qcow2":
        return "%s/%s/images/Fedora-%s-KVM-%s.%s.qcow2" % (uid, arch, uid, ver, arch)
    kind = {"boot": "netinst", "dvd": "dvd", "live": "Live"}[itype]
    return "%s/%s/iso/Fedora-%s-%s-%s-%s.iso" % (uid, arch, uid, kind, arch, ver)


def image_checksum(spec, size):
    """Stands for the content's sha256: the same image at the same size has the same one."""
    return hashlib.sha256(("%s:%d" % (image_key(spec), size)).encode()).hexdigest()


class Series:
    """The composes, made one step at a time from the seed, with what each step changed."""

    def __init__(self, count, seed):
        if count < 2:
            raise ValueError("--composes must be at least 2")
        self.rng = rng = random.Random(seed)
        self.dates = [FIRST_DATE + datetime.timedelta(weeks=i) for i in range(count)]
        self.ids = [compose_id(d) for d in self.dates]
        doomed = DOOMED_DATE if DOOMED_DATE > self.dates[-1] else self.dates[-1] + datetime.timedelta(weeks=1)
        self.doomed_date, self.doomed_id = doomed, compose_id(doomed)
        steps = count - 1
        self.plan = {"xfce_unchanged": rng.randrange(steps), "downgrade": rng.randrange(1, steps) if steps > 1 else 0}
        for kind, _ in sorted(SPECIAL.values(), key=lambda v: v[0]):
            self.plan[kind] = rng.randrange(steps)
        if steps > 1:  # glibc is in XFCE: bump it in a step where XFCE changes
            self.plan["multilib"] = rng.choice([i for i in range(steps) if i != self.plan["xfce_unchanged"]])
        else:
            self.plan["multilib"] = None
        self.newcomers = list(NEWCOMERS)
        rng.shuffle(self.newcomers)
        self.extra = 0
        sources = {e[0]: make_source(e, rng.randint(1, 6)) for e in POOL}
        sizes = {image_key(s): -(-int(s[5] * MIB * rng.uniform(0.97, 1.03)) // SECTOR) * SECTOR for s in IMAGES}
        self.sources, self.sizes = [sources], [sizes]
        self.history = {}  # name -> (step, source before) of generic upgrades
        self.last_touched = {}
        self.frozen = set()  # downgraded: left alone afterwards, so no NEVRA comes back
        self.steps = []
        for step in range(steps):
            self._step(step)

    def _step(self, step):
        rng = self.rng
        sources = dict(self.sources[-1])
        quiet = step == self.plan["xfce_unchanged"]
        touched, events = set(), []

        def free(src):
            return src.name not in touched and not (quiet and "XFCE" in src.variants)

        def change(kind, old, new):
            name = (old or new).name
            events.append((kind, old, new))
            touched.add(name)
            self.last_touched[name] = step
            if new is None:
                del sources[name]
            else:
                sources[name] = new

        def candidates(extra=lambda s: True):
            return [s for _, s in sorted(sources.items())
                    if free(s) and s.name not in SPECIAL and s.name not in self.frozen and extra(s)]

        if step == self.plan["downgrade"]:
            reverts = [sources[n] for n, (when, _) in sorted(self.history.items())
                       if n in sources and when < step and self.last_touched[n] == when
                       and sources[n] in candidates()]
            if reverts:
                cur = rng.choice(reverts)
                before = self.history.pop(cur.name)[1]
                new = dataclasses.replace(cur, epoch=before.epoch, version=before.version, release=before.release)
            else:
                cur = rng.choice(candidates(lambda s: s.release > 1))
                new = dataclasses.replace(cur, release=cur.release - 1)
            change("downgrade", cur, new)
            self.frozen.add(cur.name)

        specials = [n for n, (kind, _) in sorted(SPECIAL.items()) if self.plan[kind] == step]
        for name in specials:
            change("upgrade", sources[name], SPECIAL[name][1](sources[name]))

        pool = candidates()
        for cur in rng.sample(pool, min(max(rng.randint(4, 6) - len(specials), 1), len(pool))):
            if cur.name in RELEASE_ONLY or rng.random() < 0.5:
                new = dataclasses.replace(cur, release=cur.release + 1)
            else:
                new = dataclasses.replace(cur, version=bump_version(cur.version), release=1)
            self.history[cur.name] = (step, cur)
            change("upgrade", cur, new)

        change("remove", rng.choice(candidates(lambda s: s.variants != BASE)), None)

        for _ in range(rng.randint(1, 2)):
            fits = [e for e in self.newcomers if not (quiet and "XFCE" in e[4])]
            if fits:
                entry = fits[0]
                self.newcomers.remove(entry)
            else:
                self.extra += 1
                entry = ("rust-sample-crate%d" % self.extra, 0, "0.%d.0" % self.extra,
                         "rust-sample-crate%d" % self.extra, EVERYTHING)
            change("add", None, make_source(entry, rng.randint(1, 3)))

        old_sizes, sizes, resized = self.sizes[-1], {}, {}
        for spec in IMAGES:
            key = image_key(spec)
            size = old_sizes[key]
            if not (quiet and spec[0] == "XFCE"):
                new = -(-int(size * (1 + rng.uniform(0.003, 0.02))) // SECTOR) * SECTOR
                resized[key] = (spec, size, new)
                size = new
            sizes[key] = size
        self.sources.append(sources)
        self.sizes.append(sizes)
        self.steps.append(self._expect(step, events, resized))

    def _expect(self, step, events, resized):
        """Each tree's difference, from the step's own record of what it did."""
        old_id, new_id = self.ids[step], self.ids[step + 1]
        trees = {}
        for uid, arch in TREES:
            diff = {"added": [], "removed": [], "upgraded": [], "downgraded": [], "images_resized": []}
            for kind, old, new in events:
                before = {(r.name, r.arch): r.nevra for r in (tree_rpms(old, uid, arch) if old else [])}
                after = {(r.name, r.arch): r.nevra for r in (tree_rpms(new, uid, arch) if new else [])}
                if kind == "add":
                    diff["added"] += after.values()
                elif kind == "remove":
                    diff["removed"] += before.values()
                else:
                    assert before.keys() == after.keys()
                    diff[kind + "d"] += [[before[k], after[k]] for k in before]
            for key, (spec, old_size, new_size) in resized.items():
                if (spec[0], spec[1]) == (uid, arch):
                    diff["images_resized"].append(
                        [image_path(spec, old_id), image_path(spec, new_id), old_size, new_size])
            for lst in diff.values():
                lst.sort()
            diff["changed"] = any(diff.values())
            trees[tree_key(uid, arch)] = diff
        return {"old": old_id, "new": new_id, "trees": trees}

    def status(self, index):
        return "FINISHED_INCOMPLETE" if index == 3 else "FINISHED"

    def expected(self):
        counts = [sum(len(tree_rpms(s, u, a)) for s in srcs.values() for u, a in TREES) for srcs in self.sources]
        status = {cid: self.status(i) for i, cid in enumerate(self.ids)}
        status[self.doomed_id] = "DOOMED"
        return {
            "composes": list(self.ids),
            "finished": [cid for cid in self.ids if status[cid] in ("FINISHED", "FINISHED_INCOMPLETE")],
            "status": status,
            "rpm_counts": dict(zip(self.ids, counts)),
            "image_counts": {cid: len(IMAGES) for cid in self.ids},
            "steps": self.steps,
            "image_sizes": {image_key(s): [[cid, sz[image_key(s)]] for cid, sz in zip(self.ids, self.sizes)]
                            for s in IMAGES},
        }


def set_compose(metadata, cid, date):
    metadata.compose.id = cid
    metadata.compose.type = "nightly"
    metadata.compose.date = date.strftime("%Y%m%d")
    metadata.compose.respin = 0


def write_composeinfo(path, cid, date):
    ci = composeinfo.ComposeInfo()
    set_compose(ci, cid, date)
    ci.compose.label = None
    ci.release.name = "Fedora"
    ci.release.short = "Fedora"
    ci.release.version = "41"
    ci.release.type = "ga"
    ci.release.is_layered = False
    made = {}
    for uid, vid, name, vtype, parent, arches in VARIANTS:
        v = composeinfo.Variant(ci)
        v.id, v.uid, v.name, v.type = vid, uid, name, vtype
        v.arches = set(arches)
        if parent:
            v.parent = made[parent]
        for arch in arches:
            p = v.paths
            p.os_tree[arch] = p.repository[arch] = "%s/%s/os" % (uid, arch)
            p.packages[arch] = "%s/%s/os/Packages" % (uid, arch)
            p.debug_tree[arch] = p.debug_repository[arch] = "%s/%s/debug/tree" % (uid, arch)
            p.debug_packages[arch] = "%s/%s/debug/tree/Packages" % (uid, arch)
            p.source_tree[arch] = p.source_repository[arch] = "%s/source/tree" % uid
            p.source_packages[arch] = "%s/source/tree/Packages" % uid
            formats = {s[3] for s in IMAGES if (s[0], s[1]) == (uid, arch)}
            if "iso" in formats:
                p.isos[arch] = "%s/%s/iso" % (uid, arch)
            if formats - {"iso"}:
                p.images[arch] = "%s/%s/images" % (uid, arch)
        made[uid] = v
    for uid, _, _, _, parent, _ in VARIANTS:
        (made[parent] if parent else ci.variants).add(made[uid])
    ci.dump(path)


def write_rpms(path, cid, date, sources):
    r = rpms.Rpms()
    set_compose(r, cid, date)
    for uid, arch in TREES:
        for _, src in sorted(sources.items()):
            for rpm in tree_rpms(src, uid, arch):
                r.add(uid, arch, rpm.nevra, path=rpm.path, sigkey=rpm.sigkey,
                      category=rpm.category, srpm_nevra=rpm.srpm_nevra)
    r.dump(path)


def write_images(path, cid, date, sizes):
    im = images.Images()
    set_compose(im, cid, date)
    mtime = calendar.timegm(date.timetuple())
    for spec in IMAGES:
        uid, arch, itype, fmt, sub, _, volume_id = spec
        size = sizes[image_key(spec)]
        img = images.Image(im)
        img.path = image_path(spec, cid)
        img.mtime = mtime
        img.size = size
        img.volume_id = volume_id
        img.type, img.format, img.arch, img.subvariant = itype, fmt, arch, sub
        img.disc_number = img.disc_count = 1
        img.bootable = fmt == "iso"
        img.implant_md5 = hashlib.md5(image_checksum(spec, size).encode()).hexdigest() if fmt == "iso" else None
        img.add_checksum(None, "sha256", image_checksum(spec, size))
        im.add(uid, arch, img)
    im.dump(path)


def write_status(outdir, cid, status):
    os.makedirs(os.path.join(outdir, cid, "compose", "metadata"))
    with open(os.path.join(outdir, cid, "STATUS"), "w") as f:
        f.write(status + "\n")


def metadata(outdir, cid, name):
    return os.path.join(outdir, cid, "compose", "metadata", name)


def clear(outdir):
    """Empties outdir of an earlier run's output, refusing anything else."""
    os.makedirs(outdir, exist_ok=True)
    entries = sorted(os.listdir(outdir))
    foreign = [e for e in entries if e != "expected.json" and not re.fullmatch(r"Fedora-41-\d{8}\.n\.0", e)]
    if foreign:
        sys.exit("%s holds files this script did not write: %s" % (outdir, ", ".join(foreign)))
    for e in entries:
        full = os.path.join(outdir, e)
        if os.path.isdir(full):
            shutil.rmtree(full)
        else:
            os.remove(full)


def generate(outdir, count, seed):
    series = Series(count, seed)
    clear(outdir)
    for i, (cid, date) in enumerate(zip(series.ids, series.dates)):
        write_status(outdir, cid, series.status(i))
        write_composeinfo(metadata(outdir, cid, "composeinfo.json"), cid, date)
        write_rpms(metadata(outdir, cid, "rpms.json"), cid, date, series.sources[i])
        write_images(metadata(outdir, cid, "images.json"), cid, date, series.sizes[i])
    write_status(outdir, series.doomed_id, "DOOMED")
    write_composeinfo(metadata(outdir, series.doomed_id, "composeinfo.json"), series.doomed_id, series.doomed_date)
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump(series.expected(), f, indent=2, sort_keys=True)
        f.write("\n")
    return series


# --- --check: everything below reads only the files -------------------------------------------

def rpmvercmp(a, b):
    """rpm's version comparison (lib/rpmvercmp.c), with ~ and ^: -1, 0 or 1."""
    if a == b:
        return 0
    alnum = re.compile(r"[A-Za-z0-9~^]")
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not alnum.match(a[i]):
            i += 1
        while j < len(b) and not alnum.match(b[j]):
            j += 1
        ca, cb = a[i:i + 1], b[j:j + 1]
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        if ca == "^" or cb == "^":
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not (ca and cb):
            break
        pattern = r"[0-9]+" if ca.isdigit() else r"[A-Za-z]+"
        sa = re.compile(pattern).match(a, i)
        sb = re.compile(pattern).match(b, j)
        if sb is None:
            return 1 if ca.isdigit() else -1
        sa, sb = sa.group(), sb.group()
        i, j = i + len(sa), j + len(sb)
        if ca.isdigit():
            sa, sb = sa.lstrip("0"), sb.lstrip("0")
            if len(sa) != len(sb):
                return 1 if len(sa) > len(sb) else -1
        if sa != sb:
            return 1 if sa > sb else -1
    if i >= len(a) and j >= len(b):
        return 0
    return -1 if i >= len(a) else 1


def evr_cmp(x, y):
    if x["epoch"] != y["epoch"]:
        return 1 if x["epoch"] > y["epoch"] else -1
    return rpmvercmp(x["version"], y["version"]) or rpmvercmp(x["release"], y["release"])


def read_compose(outdir, cid):
    """A compose's trees as the files say: {tree: ({(name, arch): nevra dict}, {image id: image})}."""
    ci = composeinfo.ComposeInfo()
    ci.load(metadata(outdir, cid, "composeinfo.json"))
    assert ci.compose.id == cid and ci.compose.type == "nightly" and ci.compose.respin == 0, cid
    assert (ci.release.short, ci.release.version, ci.release.type) == ("Fedora", "41", "ga")
    variants = {v.uid: v for v in ci.get_variants(recursive=True)}
    assert sorted(variants) == sorted(v[0] for v in VARIANTS), sorted(variants)
    r = rpms.Rpms()
    r.load(metadata(outdir, cid, "rpms.json"))
    im = images.Images()
    im.load(metadata(outdir, cid, "images.json"))
    assert r.compose.id == cid and im.compose.id == cid
    trees, count = {}, 0
    for uid, v in variants.items():
        for arch in sorted(v.arches):
            pkgs = {}
            for srpm, entries in r.rpms.get(uid, {}).get(arch, {}).items():
                assert srpm in entries, "%s %s/%s: src rpm not listed under its arch" % (cid, uid, arch)
                for nevra, entry in entries.items():
                    count += 1
                    d = productmd.common.parse_nvra(nevra)
                    d["nevra"] = nevra
                    key = (d["name"], d["arch"])
                    assert key not in pkgs, "%s %s/%s: %s twice" % (cid, uid, arch, key)
                    pkgs[key] = d
                    assert entry["sigkey"] == (None if entry["category"] == "debug" else SIGKEY), nevra
                    assert entry["path"].startswith(uid + "/") and entry["path"].endswith(".rpm"), entry["path"]
            imgs = {}
            for img in im.images.get(uid, {}).get(arch, ()):
                imgs[(img.type, img.format, img.subvariant)] = img
            trees[tree_key(uid, arch)] = (pkgs, imgs)
    image_count = sum(len(a) for v in im.images.values() for a in v.values())
    return trees, count, image_count


def diff_trees(old, new):
    """What moved between two readings of one tree, worked out from versions."""
    old_pkgs, old_imgs = old
    new_pkgs, new_imgs = new
    d = {"added": sorted(new_pkgs[k]["nevra"] for k in new_pkgs.keys() - old_pkgs.keys()),
         "removed": sorted(old_pkgs[k]["nevra"] for k in old_pkgs.keys() - new_pkgs.keys()),
         "upgraded": [], "downgraded": [], "images_resized": []}
    for k in sorted(old_pkgs.keys() & new_pkgs.keys()):
        c = evr_cmp(new_pkgs[k], old_pkgs[k])
        if c:
            d["upgraded" if c > 0 else "downgraded"].append([old_pkgs[k]["nevra"], new_pkgs[k]["nevra"]])
    checksum_moved = False
    assert old_imgs.keys() == new_imgs.keys()
    for k in sorted(old_imgs):
        a, b = old_imgs[k], new_imgs[k]
        if a.size != b.size:
            d["images_resized"].append([a.path, b.path, a.size, b.size])
        elif a.checksums != b.checksums:
            checksum_moved = True
    for lst in d.values():
        lst.sort()
    d["changed"] = any(d.values()) or checksum_moved
    return d


def check(outdir):
    with open(os.path.join(outdir, "expected.json")) as f:
        exp = json.load(f)
    ids = exp["composes"]
    dirs = sorted(e for e in os.listdir(outdir) if e != "expected.json")
    for cid in dirs:
        with open(os.path.join(outdir, cid, "STATUS")) as f:
            status = f.read()
        assert status == exp["status"][cid] + "\n", (cid, status)
        assert (cid in exp["finished"]) == (status in ("FINISHED\n", "FINISHED_INCOMPLETE\n")), cid
        if cid not in ids:
            assert status == "DOOMED\n", cid
            assert sorted(os.listdir(os.path.join(outdir, cid, "compose", "metadata"))) == ["composeinfo.json"]
            composeinfo.ComposeInfo().load(metadata(outdir, cid, "composeinfo.json"))
    assert sorted(ids) == ids and len(dirs) == len(ids) + 1
    read = {}
    for cid in ids:
        trees, count, image_count = read_compose(outdir, cid)
        assert count == exp["rpm_counts"][cid], (cid, count, exp["rpm_counts"][cid])
        assert image_count == exp["image_counts"][cid], (cid, image_count)
        read[cid] = trees
    assert [(s["old"], s["new"]) for s in exp["steps"]] == list(zip(ids, ids[1:]))
    for step in exp["steps"]:
        old, new = read[step["old"]], read[step["new"]]
        assert sorted(step["trees"]) == sorted(old.keys() | new.keys())
        for tree, want in step["trees"].items():
            got = diff_trees(old[tree], new[tree])
            assert got == want, "%s -> %s %s:\n expected %s\n files say %s" % (
                step["old"], step["new"], tree, want, got)
    for key, series in exp["image_sizes"].items():
        uid, arch, itype, fmt, sub = key.split("/")
        got = [[cid, read[cid][tree_key(uid, arch)][1][(itype, fmt, sub)].size] for cid in ids]
        assert got == series, key

    # The cases the series exists for are all there.
    def split(nevra):
        return productmd.common.parse_nvra(nevra)
    ups = [(split(a), split(b)) for s in exp["steps"] for t in s["trees"].values() for a, b in t["upgraded"]]
    downs = [1 for s in exp["steps"] for t in s["trees"].values() for _ in t["downgraded"]]
    assert any(a["epoch"] < b["epoch"] and (a["version"], a["release"]) == (b["version"], b["release"]) for a, b in ups)
    assert any(a["epoch"] < b["epoch"] and rpmvercmp(a["version"], b["version"]) > 0 for a, b in ups)
    assert any("~" in a["version"] and "~" not in b["version"] for a, b in ups)
    assert any("^" in a["version"] for a, b in ups)
    assert downs
    assert any(not any(t["changed"] for k, t in s["trees"].items() if k.startswith("XFCE/")) for s in exp["steps"])
    assert all(("glibc", "i686") in read[ids[0]][t][0] for t in ("Everything/x86_64", "Server/x86_64"))
    if len(exp["steps"]) > 1:
        assert any(a["name"] == "glibc" and a["arch"] == "i686" for a, _ in ups)
    print("check: %d composes, %d steps, %d rpm entries, all as expected.json says"
          % (len(ids), len(exp["steps"]), sum(exp["rpm_counts"].values())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--composes", type=int, default=6, help="how many composes (default 6, at least 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every choice (default 0)")
    parser.add_argument("--check", action="store_true", help="then re-read every file with productmd and verify")
    args = parser.parse_args()
    if args.composes < 2:
        parser.error("--composes must be at least 2")
    generate(args.outdir, args.composes, args.seed)
    if args.check:
        check(args.outdir)


if __name__ == "__main__":
    main()
