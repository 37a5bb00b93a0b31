r"""The BUSI breast-ultrasound cohort: loader, duplicate audit, cohort summary and manifest.

Layout (Al-Dhabyani et al. 2020, and any folder laid out the same way)::

    DATA/benign/benign (1).png          DATA/benign/benign (1)_mask.png
    DATA/benign/benign (100).png        DATA/benign/benign (100)_mask.png
                                        DATA/benign/benign (100)_mask_1.png
    DATA/malignant/...                  DATA/normal/...

One sub-folder per class; each image ``NAME.png`` has one or more masks ``NAME_mask.png``,
``NAME_mask_1.png``, ... (0 = background, non-zero = lesion). The binary task takes the
``positive`` class (label 1, default ``malignant``) against the ``negative`` class (label 0,
default ``benign``); every other class (``normal``) is counted and left out.

:func:`prepare_cohort` runs the whole preparation and writes, into a run folder,

- ``manifest.csv`` -- ``case_id,image,mask,outcome,group,class_name,n_masks,flags``, read by
  ``radiomix extract --manifest`` (which carries the other columns into the feature table)
  and then ``radiomix train --label outcome --group group``. The class label is called
  ``outcome`` (1 = ``positive``) because a manifest's ``label`` column names the ROI label
  value inside the mask; with none, every non-zero mask pixel is the ROI. When several masks
  were merged the merged mask is written under ``masks/`` and the manifest points to it;
- ``cohort_summary.json`` and ``cohort_summary.md`` -- counts per class, masks merged,
  exclusions with their reasons, duplicate pairs and clusters, conflicting clusters dropped.

Bad input never stops the preparation: an image without a mask, a mask of another size, an
unreadable file or an empty mask is recorded as an exclusion with its reason.

Duplicate audit
---------------
Exact duplicates: equal SHA-256 of the decoded pixels (and shape). Near duplicates: the
Hamming distance of the 64-bit DCT perceptual hash (pHash, ``imagehash.phash``) is at most
:data:`PHASH_THRESHOLD` = 10 bits. The threshold was validated on BUSI (see ``docs/busi.md``):
the 8 benign/malignant pairs within 10 bits are all the same scan filed in both classes
(checked by eye; the byte-identical ``benign (433)``/``malignant (145)`` among them, at 0),
while the first cross-class pairs beyond are unrelated scans at 12 bits and above; noise,
rescaling and contrast changes of an image stay within 10 bits. Pairs are edges of a graph;
its connected components are the duplicate clusters, and every case's ``group`` is its
cluster, so a split never separates copies of one scan. Clusters whose members carry
different labels are dropped and listed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from radiomix._outputs import atomic_write, atomic_write_text, write_table
from radiomix.errors import ConfigError, RadiomixError
from radiomix.io import ImageConversionWarning, read_image, read_mask

__all__ = [
    "MASK_POLICIES",
    "PHASH_THRESHOLD",
    "Cohort",
    "CohortCase",
    "DuplicateAudit",
    "Exclusion",
    "audit_duplicates",
    "load_case",
    "merge_masks",
    "peritumoral_ring",
    "prepare_cohort",
    "scan_cohort",
    "write_summary",
]

log = logging.getLogger(__name__)

#: pHash Hamming distance (of 64 bits) at or below which two images are near duplicates.
PHASH_THRESHOLD = 10
#: how several masks of one image are combined.
MASK_POLICIES = ("merge", "largest", "first")

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
_MASK_RE = re.compile(r"^(?P<stem>.+)_mask(?:_(?P<k>\d+))?$", re.IGNORECASE)
_NUM_RE = re.compile(r"(\d+)")


def _natural_key(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in _NUM_RE.split(text)]


@dataclass(frozen=True)
class CohortCase:
    """One image of the cohort and its mask files (before reading)."""

    case_id: str
    class_name: str
    label: int | None  # 1 positive, 0 negative, None for classes outside the task
    image: Path
    masks: tuple[Path, ...]


@dataclass(frozen=True)
class Exclusion:
    """A case left out of the task, with the reason (one of a few fixed phrases) and detail."""

    case_id: str
    class_name: str
    reason: str
    detail: str = ""


@dataclass
class LoadedCase:
    """A case read from disk: 2D image, the combined mask, and what happened on the way."""

    case: CohortCase
    image: np.ndarray  # (y, x)
    mask: np.ndarray  # (y, x) bool
    n_masks: int
    flags: list[str] = field(default_factory=list)


@dataclass
class Cohort:
    """The cases found under a data folder, and the files that could not form a case."""

    root: Path
    positive: str
    negative: str
    cases: list[CohortCase]
    exclusions: list[Exclusion]
    class_counts: dict[str, int]


def scan_cohort(
    root: str | Path, *, positive: str = "malignant", negative: str = "benign"
) -> Cohort:
    """Find the images and their masks under ``root`` (one sub-folder per class).

    Images of the classes other than ``positive`` and ``negative`` are counted and
    excluded (reason ``"class outside the task"``); an image without a mask file is
    excluded (``"no mask"``); a mask file without its image is listed
    (``"mask without an image"``).

    Raises
    ------
    ConfigError
        When ``root`` is not a folder or has no folder named ``positive`` or ``negative``.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ConfigError(
            f"data folder {root} does not exist: give the folder that holds "
            f"'{negative}/' and '{positive}/'"
        )
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    missing = [c for c in (positive, negative) if c not in classes]
    if missing:
        raise ConfigError(
            f"{root} has no class folder {', '.join(repr(m) for m in missing)} (found: "
            f"{', '.join(classes) or 'none'}); lay the data out as DATA/<class>/NAME.png with "
            "masks NAME_mask.png, or name the classes with --positive/--negative"
        )
    cases: list[CohortCase] = []
    exclusions: list[Exclusion] = []
    counts: dict[str, int] = {}
    seen: dict[str, int] = {}
    for cls in classes:
        images: dict[str, Path] = {}
        masks: dict[str, list[tuple[int, Path]]] = {}
        for f in (root / cls).iterdir():
            if not f.is_file() or f.suffix.lower() not in _IMAGE_SUFFIXES:
                continue
            m = _MASK_RE.match(f.stem)
            if m:
                k = int(m.group("k")) if m.group("k") else 0
                masks.setdefault(m.group("stem"), []).append((k, f))
            else:
                images[f.stem] = f
        counts[cls] = len(images)
        label = 1 if cls == positive else 0 if cls == negative else None
        for stem in sorted(images, key=_natural_key):
            cid = stem
            if stem in seen:
                cid = f"{cls}-{stem}"
            seen[cid] = 1
            mask_files = tuple(p for _, p in sorted(masks.get(stem, [])))
            if label is None:
                exclusions.append(
                    Exclusion(
                        cid,
                        cls,
                        "class outside the task",
                        f"'{cls}' is neither '{positive}' nor '{negative}'",
                    )
                )
                continue
            if not mask_files:
                exclusions.append(
                    Exclusion(
                        cid, cls, "no mask", f"no {stem}_mask{images[stem].suffix} beside the image"
                    )
                )
                continue
            cases.append(CohortCase(cid, cls, label, images[stem], mask_files))
        for stem in sorted(set(masks) - set(images), key=_natural_key):
            exclusions.append(
                Exclusion(
                    stem,
                    cls,
                    "mask without an image",
                    ", ".join(p.name for _, p in sorted(masks[stem])),
                )
            )
    return Cohort(root, positive, negative, cases, exclusions, counts)


def merge_masks(masks: Sequence[np.ndarray], policy: str = "merge") -> np.ndarray:
    """Combine the masks of one image into one boolean (y, x) mask.

    ``merge``: pixel-wise OR of all masks (the usual BUSI convention); ``largest``: the
    largest 8-connected component of the OR; ``first``: the first mask only (``NAME_mask``).
    """
    if policy not in MASK_POLICIES:
        raise ConfigError(f"mask policy must be one of {MASK_POLICIES}, got {policy!r}")
    if not masks:
        raise ValueError("merge_masks needs at least one mask")
    if policy == "first":
        return np.asarray(masks[0], dtype=bool)
    union = np.logical_or.reduce([np.asarray(m, dtype=bool) for m in masks])
    if policy == "largest" and union.any():
        lab, n = ndimage.label(union, structure=np.ones((3, 3), dtype=bool))
        if n > 1:
            sizes = np.bincount(lab.ravel())[1:]
            union = lab == (int(np.argmax(sizes)) + 1)
    return union


def _read_2d(path: Path, *, mask: bool) -> tuple[np.ndarray, list[str]]:
    """Read a planar image or mask as a (y, x) array; colour conversions become flags."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ImageConversionWarning)
        vol = read_mask(path) if mask else read_image(path)
    flags = [
        f"colour converted ({path.name})"
        for w in caught
        if issubclass(w.category, ImageConversionWarning)
    ]
    if vol.shape[0] != 1:
        raise RadiomixError(f"{path.name} holds {vol.shape[0]} planes; a 2D image is needed")
    return vol.array[0], flags


def load_case(case: CohortCase, policy: str = "merge") -> LoadedCase | Exclusion:
    """Read one case; return the loaded arrays, or the :class:`Exclusion` that says why not.

    Reasons: ``"unreadable image"``, ``"unreadable mask"``, ``"mask size differs"``,
    ``"empty mask"``.
    """
    try:
        image, flags = _read_2d(case.image, mask=False)
    except RadiomixError as exc:
        return Exclusion(case.case_id, case.class_name, "unreadable image", str(exc))
    arrays = []
    for mpath in case.masks:
        try:
            arr, mflags = _read_2d(mpath, mask=True)
        except RadiomixError as exc:
            return Exclusion(case.case_id, case.class_name, "unreadable mask", str(exc))
        if arr.shape != image.shape:
            return Exclusion(
                case.case_id,
                case.class_name,
                "mask size differs",
                f"{mpath.name} is {arr.shape[1]}x{arr.shape[0]} px, the image "
                f"{image.shape[1]}x{image.shape[0]} px",
            )
        flags += mflags
        arrays.append(arr != 0)
    mask = merge_masks(arrays, policy)
    if not mask.any():
        return Exclusion(
            case.case_id,
            case.class_name,
            "empty mask",
            f"{', '.join(p.name for p in case.masks)} hold no lesion pixel",
        )
    if len(arrays) > 1:
        flags.append(f"{len(arrays)} masks ({policy})")
    return LoadedCase(case, image, mask, len(arrays), flags)


# ------------------------------------------------------------------------ duplicate audit


@dataclass
class DuplicateAudit:
    """Duplicate pairs, their clusters and the group of every case.

    ``pairs``: ``{"a", "b", "kind" ("exact" or "near"), "phash_distance", "dhash_distance"}``;
    ``clusters``: ``{"group", "members", "labels", "conflicting"}`` for clusters of two or
    more; ``groups``: case id -> group id (every case, singletons included).
    """

    threshold: int
    pairs: list[dict[str, Any]]
    clusters: list[dict[str, Any]]
    groups: dict[str, str]

    @property
    def conflicting(self) -> list[dict[str, Any]]:
        return [c for c in self.clusters if c["conflicting"]]


def _pixel_sha256(image: np.ndarray) -> str:
    a = np.ascontiguousarray(image)
    h = hashlib.sha256(f"{a.shape}{a.dtype.str}".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def _hash_bits(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import imagehash
    from PIL import Image

    a = np.asarray(image)
    if a.dtype == np.uint8:
        u8 = a
    else:  # other ranges: scale min..max to 0..255 (hashes compare structure, not levels)
        f = a.astype(np.float64)
        lo, hi = float(f.min()), float(f.max())
        u8 = (
            np.zeros(f.shape, np.uint8)
            if hi <= lo
            else np.round((f - lo) * (255.0 / (hi - lo))).astype(np.uint8)
        )
    pil = Image.fromarray(u8, mode="L")
    return (
        imagehash.phash(pil).hash.ravel().astype(bool),
        imagehash.dhash(pil).hash.ravel().astype(bool),
    )


def audit_duplicates(
    images: dict[str, np.ndarray],
    labels: dict[str, int],
    *,
    threshold: int = PHASH_THRESHOLD,
) -> DuplicateAudit:
    """Exact and near duplicates among ``images`` (case id -> 2D array), and their groups.

    Parameters
    ----------
    images : dict of str to ndarray
        Decoded 2D images (grey levels 0-255 are hashed as they are; other ranges are
        scaled to 0-255 first).
    labels : dict of str to int
        Class label of each case; a cluster with two labels is flagged ``conflicting``.
    threshold : int
        Near duplicate: pHash Hamming distance <= threshold (0-64).

    Returns
    -------
    DuplicateAudit
        Group ids are ``g0001``, ``g0002``, ... in the natural order of the first member.
    """
    ids = sorted(images, key=_natural_key)
    n = len(ids)
    sha = [_pixel_sha256(images[c]) for c in ids]
    bits = [_hash_bits(images[c]) for c in ids]
    pairs: list[dict[str, Any]] = []
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if n > 1:
        ph = np.array([b[0] for b in bits])
        dh = np.array([b[1] for b in bits])
        packed_p = np.packbits(ph, axis=1)
        packed_d = np.packbits(dh, axis=1)
        lut = np.array([i.bit_count() for i in range(256)], dtype=np.uint8)
        for i in range(n - 1):
            dp = lut[np.bitwise_xor(packed_p[i + 1 :], packed_p[i])].sum(axis=1)
            dd = lut[np.bitwise_xor(packed_d[i + 1 :], packed_d[i])].sum(axis=1)
            for k in np.flatnonzero(dp <= threshold):
                j = i + 1 + int(k)
                kind = "exact" if sha[i] == sha[j] else "near"
                pairs.append(
                    {
                        "a": ids[i],
                        "b": ids[j],
                        "kind": kind,
                        "phash_distance": int(dp[k]),
                        "dhash_distance": int(dd[k]),
                    }
                )
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
            for j in range(i + 1, n):  # exact copies whatever their hash (e.g. flat images)
                if sha[i] == sha[j] and dp[j - i - 1] > threshold:
                    pairs.append(
                        {
                            "a": ids[i],
                            "b": ids[j],
                            "kind": "exact",
                            "phash_distance": int(dp[j - i - 1]),
                            "dhash_distance": int(dd[j - i - 1]),
                        }
                    )
                    ri, rj = find(i), find(j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
    members: dict[int, list[str]] = {}
    for i, c in enumerate(ids):
        members.setdefault(find(i), []).append(c)
    groups: dict[str, str] = {}
    clusters: list[dict[str, Any]] = []
    for num, root in enumerate(sorted(members), start=1):
        gid = f"g{num:04d}"
        for c in members[root]:
            groups[c] = gid
        if len(members[root]) > 1:
            labs = sorted({int(labels[c]) for c in members[root]})
            clusters.append(
                {
                    "group": gid,
                    "members": members[root],
                    "labels": labs,
                    "conflicting": len(labs) > 1,
                }
            )
    return DuplicateAudit(threshold, pairs, clusters, groups)


# ------------------------------------------------------------------------ peritumoral ring


def peritumoral_ring(mask: np.ndarray, width_px: int) -> np.ndarray:
    """The ring of pixels within ``width_px`` (Euclidean) outside the lesion mask.

    .. math:: R = \\{p \\notin M : 0 < d(p, M) \\le w\\}

    clipped to the image; empty when the lesion fills the image.
    """
    if width_px < 1:
        raise ConfigError(f"the peritumoral ring width must be at least 1 px, got {width_px}")
    m = np.asarray(mask, dtype=bool)
    dist = ndimage.distance_transform_edt(~m)
    return (dist > 0) & (dist <= width_px)


# ------------------------------------------------------------------------ outputs


def _write_png_atomic(array: np.ndarray, path: Path) -> None:
    from PIL import Image

    image = Image.fromarray(np.asarray(array, dtype=np.uint8), mode="L")
    atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))


def _safe_name(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._()-]+", "_", case_id)


def prepare_cohort(
    data: str | Path,
    out: str | Path,
    *,
    positive: str = "malignant",
    negative: str = "benign",
    mask_policy: str = "merge",
    phash_threshold: int = PHASH_THRESHOLD,
    peritumoral_px: int | None = None,
) -> dict[str, Any]:
    """Read, check and audit a BUSI-like folder; write the manifest and the cohort summary.

    Parameters
    ----------
    data : path
        Folder with one sub-folder per class (see the module docstring).
    out : path
        Run folder: receives ``manifest.csv``, ``cohort_summary.json``,
        ``cohort_summary.md`` and ``masks/`` (merged masks, peritumoral rings).
    positive, negative : str
        Class folders of label 1 and label 0; other classes are excluded.
    mask_policy : {"merge", "largest", "first"}
        How several masks of one image are combined (see :func:`merge_masks`).
    phash_threshold : int
        Near-duplicate threshold (pHash Hamming distance, bits of 64).
    peritumoral_px : int, optional
        Also write a ring mask of this width outside each lesion (column ``peritumoral_mask``).

    Returns
    -------
    dict
        The cohort summary (also written as JSON).
    """
    if mask_policy not in MASK_POLICIES:
        raise ConfigError(f"mask policy must be one of {MASK_POLICIES}, got {mask_policy!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cohort = scan_cohort(data, positive=positive, negative=negative)
    exclusions = list(cohort.exclusions)
    loaded: list[LoadedCase] = []
    for case in cohort.cases:
        res = load_case(case, mask_policy)
        if isinstance(res, Exclusion):
            exclusions.append(res)
            log.info("excluded %s: %s (%s)", res.case_id, res.reason, res.detail)
        else:
            loaded.append(res)
    audit = audit_duplicates(
        {c.case.case_id: c.image for c in loaded},
        {c.case.case_id: int(c.case.label or 0) for c in loaded},
        threshold=phash_threshold,
    )
    dropped = {m for cl in audit.conflicting for m in cl["members"]}
    rows = []
    for c in loaded:
        cid = c.case.case_id
        if cid in dropped:
            grp = audit.groups[cid]
            exclusions.append(
                Exclusion(
                    cid,
                    c.case.class_name,
                    "conflicting duplicate cluster",
                    f"cluster {grp} holds both classes",
                )
            )
            continue
        mask_path = c.case.masks[0]
        if c.n_masks > 1 or mask_policy == "largest":
            mask_path = out / "masks" / f"{_safe_name(cid)}_mask_{mask_policy}.png"
            _write_png_atomic(c.mask.astype(np.uint8) * 255, mask_path)
        row: dict[str, Any] = {
            "case_id": cid,
            "image": str(c.case.image.resolve()),
            "mask": str(Path(mask_path).resolve()),
            "outcome": int(c.case.label or 0),
            "group": audit.groups[cid],
            "class_name": c.case.class_name,
            "n_masks": c.n_masks,
            "flags": "; ".join(c.flags),
        }
        if peritumoral_px:
            ring = peritumoral_ring(c.mask, peritumoral_px)
            rpath = out / "masks" / f"{_safe_name(cid)}_peritumoral_{peritumoral_px}px.png"
            _write_png_atomic(ring.astype(np.uint8) * 255, rpath)
            row["peritumoral_mask"] = str(rpath.resolve())
        rows.append(row)

    import pandas as pd

    manifest = pd.DataFrame(rows)
    if manifest.empty:
        manifest = pd.DataFrame(
            columns=[
                "case_id",
                "image",
                "mask",
                "outcome",
                "group",
                "class_name",
                "n_masks",
                "flags",
            ]
        )
    write_table(manifest, out / "manifest.csv")

    included: dict[str, int] = {}
    for r in rows:
        included[r["class_name"]] = included.get(r["class_name"], 0) + 1
    reasons: dict[str, int] = {}
    for e in exclusions:
        reasons[e.reason] = reasons.get(e.reason, 0) + 1
    multi = [c for c in loaded if c.n_masks > 1]
    summary: dict[str, Any] = {
        "data": str(Path(data).expanduser().resolve()),
        "task": {
            "positive": positive,
            "negative": negative,
            "label_1": positive,
            "label_0": negative,
        },
        "mask_policy": mask_policy,
        "images_found": cohort.class_counts,
        "included": {positive: included.get(positive, 0), negative: included.get(negative, 0)},
        "n_included": len(rows),
        "n_groups": len({r["group"] for r in rows}),
        "masks": {
            "images_with_several_masks": len(multi),
            "masks_combined": int(sum(c.n_masks for c in multi)),
            "cases": [{"case_id": c.case.case_id, "n_masks": c.n_masks} for c in multi],
        },
        "colour_converted": [
            c.case.case_id for c in loaded if any(f.startswith("colour") for f in c.flags)
        ],
        "exclusion_counts": reasons,
        "exclusions": [asdict(e) for e in exclusions],
        "duplicates": {
            "method": (
                "exact: SHA-256 of decoded pixels; near: pHash (64-bit DCT hash, "
                f"imagehash) Hamming distance <= {phash_threshold}"
            ),
            "phash_threshold": phash_threshold,
            "n_pairs": len(audit.pairs),
            "n_exact_pairs": sum(p["kind"] == "exact" for p in audit.pairs),
            "pairs": audit.pairs,
            "clusters": audit.clusters,
            "n_clusters": len(audit.clusters),
            "n_cases_in_clusters": sum(len(c["members"]) for c in audit.clusters),
        },
        "conflicting_clusters_dropped": audit.conflicting,
        "peritumoral_px": peritumoral_px,
        "note": "evaluation on this cohort is image-level, not patient-level (no patient id)",
    }
    write_summary(summary, out)
    return summary


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v).replace("|", "/") for v in r) + " |" for r in rows]
    return lines


def write_summary(summary: dict[str, Any], out: str | Path) -> None:
    """Write ``cohort_summary.json`` and a readable ``cohort_summary.md`` into ``out``."""
    out = Path(out)
    atomic_write_text(out / "cohort_summary.json", json.dumps(summary, indent=2) + "\n")
    pos, neg = summary["task"]["positive"], summary["task"]["negative"]
    lines = [f"# Cohort summary: {pos} (1) vs {neg} (0)", "", f"Data: `{summary['data']}`", ""]
    lines += _md_table(
        ["class", "images found", "included"],
        [[c, n, summary["included"].get(c, 0)] for c, n in summary["images_found"].items()],
    )
    lines += [
        "",
        f"Included: {summary['n_included']} images in {summary['n_groups']} groups.",
        (
            f"Masks: {summary['masks']['images_with_several_masks']} images had several masks "
            f"({summary['masks']['masks_combined']} masks, policy `{summary['mask_policy']}`)."
        ),
        f"Colour images converted to grey: {len(summary['colour_converted'])}.",
        "",
        "## Exclusions",
        "",
    ]
    lines += _md_table(["reason", "count"], sorted(summary["exclusion_counts"].items()))
    shown = [e for e in summary["exclusions"] if e["reason"] != "class outside the task"]
    if shown:
        lines += [""]
        lines += _md_table(
            ["case", "class", "reason", "detail"],
            [[e["case_id"], e["class_name"], e["reason"], e["detail"]] for e in shown],
        )
    d = summary["duplicates"]
    lines += [
        "",
        "## Duplicates",
        "",
        d["method"],
        "",
        (
            f"{d['n_pairs']} pairs ({d['n_exact_pairs']} exact), {d['n_clusters']} clusters "
            f"holding {d['n_cases_in_clusters']} images."
        ),
        "",
    ]
    lines += _md_table(
        ["group", "members", "labels", "conflicting"],
        [
            [
                c["group"],
                ", ".join(c["members"]),
                c["labels"],
                "yes (dropped)" if c["conflicting"] else "no",
            ]
            for c in d["clusters"]
        ],
    )
    lines += ["", f"Note: {summary['note']}.", ""]
    atomic_write_text(out / "cohort_summary.md", "\n".join(lines))
