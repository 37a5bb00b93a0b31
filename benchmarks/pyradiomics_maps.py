"""PyRadiomics 3.0.1 image-type maps: generate references, and compare radiomix with them.

Three commands. The first two run with the PyRadiomics interpreter (numpy < 2; PyRadiomics'
LBP2D needs scikit-image and LBP3D needs SciPy and trimesh in that environment; without
them those runs are reported as unavailable):

    benchmarks/.venv-pyradiomics/bin/python benchmarks/pyradiomics_maps.py run IN.npz OUT.npz
    benchmarks/.venv-pyradiomics/bin/python benchmarks/pyradiomics_maps.py fixtures [DIR]

``run`` reads ``image`` (z, y, x) or (y, x), ``spacing``, ``mask`` (bool) and ``runs`` (a JSON
list of ``{"id", "type", "settings"}``; optional ``direction``, ``origin`` and ``crop_pads``)
from IN.npz, runs ``radiomics.imageoperations.get<type>Image`` on SimpleITK images built
from them, and writes every yielded map as ``<id>/<name>`` plus a JSON ``order`` (the names
per run, in yield order) to OUT.npz. LBP3D maps are set to 0 outside the ROI (PyRadiomics
leaves uninitialised memory there). ``crop_pads`` asks for PyRadiomics' ``cropToTumorMask``
region with each padDistance, stored as ``crop/<pad>`` (lower and upper index per axis).

``fixtures`` writes the small committed reference fixtures of
tests/filters/test_pyradiomics_types.py (default DIR: tests/data/pyradiomics_maps).

The third runs with radiomix's interpreter and prints, per image type, the largest absolute
and relative difference between radiomix and PyRadiomics (run live) on a larger case:

    .venv/bin/python benchmarks/pyradiomics_maps.py compare [--size 48] [--shared]

``--shared`` adds the PyRadiomics test cases of ../shared/data/pyradiomics-cases (cropped
to the label with padDistance 5, as PyRadiomics' preCrop does).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYRAD_PYTHON = HERE / ".venv-pyradiomics" / "bin" / "python"
FIXTURE_DIR = ROOT / "tests" / "data" / "pyradiomics_maps"
SHARED_CASES = ROOT.parent / "shared" / "data" / "pyradiomics-cases"

#: Voxels per map kept in the fixtures (plus whole-map sums), to keep them small.
FIXTURE_SAMPLES = 96


# ---------------------------------------------------------------------------------------
# synthetic cases (NumPy only: they are built under either interpreter)
# ---------------------------------------------------------------------------------------


def smooth_field(shape: tuple[int, ...], width: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian-smoothed white noise (periodic, by FFT), scaled to unit standard deviation."""
    noise = rng.standard_normal(shape)
    freq = np.meshgrid(*[np.fft.fftfreq(n) for n in shape], indexing="ij")
    gain = np.exp(-2.0 * (np.pi * width) ** 2 * sum(f * f for f in freq))
    field = np.real(np.fft.ifftn(np.fft.fftn(noise) * gain))
    return field / field.std()


def ellipsoid(shape: tuple[int, ...], centre: tuple[float, ...], radii: tuple[float, ...]):
    grid = np.meshgrid(*[np.arange(n, dtype=float) for n in shape], indexing="ij")
    return sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radii, strict=True)) <= 1.0


def make_case(kind: str, shape: tuple[int, ...], seed: int = 0) -> dict[str, np.ndarray]:
    """A synthetic case: ``image``, ``spacing`` and ``mask``.

    kinds: ``smooth`` (float64, both signs), ``ct`` (int16 with flat air and bone and a noisy
    soft-tissue body), ``plane`` (float32 2D), ``slab`` (float32, few slices, a flat part).
    """
    rng = np.random.default_rng(seed)
    ndim = len(shape)
    centre = tuple(0.45 * n for n in shape)
    radii = tuple(max(0.3 * n, 1.0) for n in shape)
    if kind in ("smooth", "slab"):
        image = 180.0 * smooth_field(shape, 1.5, rng) + 60.0 + 5.0 * rng.standard_normal(shape)
        spacing = (2.0, 0.75, 0.7)[-ndim:] if kind == "smooth" else (3.0, 0.8, 0.8)
    elif kind == "ct":
        body = ellipsoid(shape, tuple(0.5 * n for n in shape), tuple(0.42 * n for n in shape))
        bone = ellipsoid(shape, tuple(0.6 * n for n in shape), tuple(0.12 * n for n in shape))
        image = np.full(shape, -1000.0)
        image[body] = 40.0 + 25.0 * smooth_field(shape, 1.0, rng)[body]
        image[body] += 8.0 * rng.standard_normal(int(body.sum()))
        image[bone] = 700.0
        image = np.round(image).astype(np.int16)
        spacing = (2.5, 0.9, 0.8)
    elif kind == "plane":
        image = (120.0 * smooth_field(shape, 1.2, rng) - 30.0).astype(np.float32)
        spacing = (0.8, 0.6)
    else:
        raise ValueError(f"unknown case kind {kind!r}")
    if kind == "slab":
        image = image.astype(np.float32)
        image[..., : shape[-1] // 4] = 7.0
    mask = ellipsoid(shape, centre, radii)
    return {"image": image, "spacing": np.asarray(spacing, dtype=float), "mask": mask}


def default_runs(ndim: int, n_slices: int) -> list[dict]:
    """Image-type runs covering every type, its parameters, 2D and force2D."""
    runs: list[dict] = [
        {"type": "Original", "settings": {}},
        {"type": "LoG", "settings": {"sigma": [0.5, 1, 2.5, 30.0]}},
        {"type": "Wavelet", "settings": {}},
        {"type": "Wavelet", "settings": {"wavelet": "haar", "level": 2, "start_level": 1}},
        {"type": "Wavelet", "settings": {"wavelet": "db2", "force2D": True, "force2Ddimension": 0}},
        {"type": "Square", "settings": {}},
        {"type": "SquareRoot", "settings": {}},
        {"type": "Logarithm", "settings": {}},
        {"type": "Exponential", "settings": {}},
        {"type": "Gradient", "settings": {}},
        {"type": "Gradient", "settings": {"gradientUseSpacing": False}},
        {"type": "LBP2D", "settings": {}},
        {"type": "LBP2D", "settings": {"lbp2DMethod": "var", "lbp2DRadius": 1.5}},
    ]
    if ndim == 3:
        runs += [
            {
                "type": "Wavelet",
                "settings": {"wavelet": "sym3", "force2D": True, "force2Ddimension": 2},
            },
            {
                "type": "LBP2D",
                "settings": {
                    "lbp2DMethod": "default",
                    "lbp2DSamples": 9,
                    "lbp2DRadius": 1.5,
                    "force2Ddimension": 2,
                },
            },
            {
                "type": "LBP2D",
                "settings": {"lbp2DMethod": "ror", "lbp2DSamples": 6, "force2Ddimension": 1},
            },
            {"type": "LBP3D", "settings": {}},
            {
                "type": "LBP3D",
                "settings": {
                    "lbp3DLevels": 3,
                    "lbp3DIcosphereRadius": 1.5,
                    "lbp3DIcosphereSubdivision": 2,
                },
            },
            {
                "type": "LBP3D",
                "settings": {"lbp3DIcosphereRadius": 2, "lbp3DIcosphereSubdivision": 0},
            },
            # PyRadiomics 3.0.1 fails here (IndexError); radiomix raises ConfigError
            {"type": "LBP3D", "settings": {"lbp3DLevels": 1}},
        ]
    else:
        runs.append({"type": "Wavelet", "settings": {"force2D": True, "force2Ddimension": 0}})
    for i, r in enumerate(runs):
        r["id"] = f"{i:02d}-{r['type']}"
    return runs


# ---------------------------------------------------------------------------------------
# PyRadiomics side (PyRadiomics interpreter)
# ---------------------------------------------------------------------------------------


def pyradiomics_maps(case: dict, runs: list[dict]) -> tuple[dict[str, np.ndarray], dict]:
    """Run PyRadiomics' generators; returns ``{"<id>/<name>": map}`` and the yield order."""
    import logging

    import SimpleITK as sitk
    from radiomics import imageoperations

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    image = np.asarray(case["image"])
    spacing = [float(s) for s in np.asarray(case["spacing"])[::-1]]
    img = sitk.GetImageFromArray(image)
    img.SetSpacing(spacing)
    msk = sitk.GetImageFromArray(np.asarray(case["mask"]).astype(np.uint8))
    msk.SetSpacing(spacing)
    for im in (img, msk):
        if "direction" in case:
            im.SetDirection([float(d) for d in np.asarray(case["direction"]).ravel()])
        if "origin" in case:
            im.SetOrigin([float(o) for o in np.asarray(case["origin"])])
    roi = np.asarray(case["mask"]) != 0
    maps: dict[str, np.ndarray] = {}
    order: dict[str, list[str] | dict | None] = {}
    for run in runs:
        generator = getattr(imageoperations, "get{}Image".format(run["type"]))
        names = []
        try:
            for out, name, _ in generator(img, msk, label=1, **run["settings"]):
                arr = sitk.GetArrayFromImage(out)
                if run["type"] == "LBP3D":
                    arr = np.where(roi, arr, 0.0)
                maps["{}/{}".format(run["id"], name)] = arr
                names.append(name)
        except ImportError as exc:  # PyRadiomics imports scipy/trimesh inside the generator
            print(f"{run['id']}: unavailable ({exc})", file=sys.stderr)
            names = None
        except (IndexError, ValueError, TypeError, RuntimeError) as exc:  # PyRadiomics fails
            names = {"error": f"{type(exc).__name__}: {exc}"}
        if run["type"] in ("LBP2D", "LBP3D") and names == []:
            names = None  # PyRadiomics logged a missing package and yielded nothing
        order[run["id"]] = names
    for pad in case.get("crop_pads", []):
        bb, _ = imageoperations.checkMask(img, msk, label=1)
        index = sitk.GetImageFromArray(np.arange(image.size, dtype=np.int64).reshape(image.shape))
        index.CopyInformation(img)
        cropped, _ = imageoperations.cropToTumorMask(index, msk, bb, padDistance=int(pad))
        flat = sitk.GetArrayFromImage(cropped)
        lo = np.unravel_index(int(flat.min()), image.shape)
        hi = np.unravel_index(int(flat.max()), image.shape)
        maps[f"crop/{int(pad)}"] = np.array([lo, hi])
    return maps, order


def _load_case(path: Path) -> tuple[dict, list[dict]]:
    with np.load(path, allow_pickle=False) as data:
        case = {k: data[k] for k in data.files if k != "runs"}
        runs = json.loads(str(data["runs"]))
    if "crop_pads" in case:
        case["crop_pads"] = [int(p) for p in case["crop_pads"]]
    return case, runs


def command_run(args: argparse.Namespace) -> None:
    case, runs = _load_case(Path(args.input))
    maps, order = pyradiomics_maps(case, runs)
    np.savez(args.output, order=np.array(json.dumps(order)), **maps)


def _fixture_cases() -> dict[str, tuple[dict, list[dict]]]:
    cases = {
        "smooth_f64_3d": make_case("smooth", (16, 19, 21), seed=1),
        "ct_i16_3d": make_case("ct", (17, 16, 18), seed=2),
        "plane_f32_2d": make_case("plane", (22, 25), seed=3),
        "slab_f32_3d": make_case("slab", (3, 18, 20), seed=4),
    }
    # a rotated direction and an origin: PyRadiomics' filters ignore both
    c, s = np.cos(0.4), np.sin(0.4)
    cases["smooth_f64_3d"]["direction"] = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    cases["smooth_f64_3d"]["origin"] = np.array([-12.5, 40.0, 3.25])
    cases["smooth_f64_3d"]["crop_pads"] = [0, 2, 5, 30]
    out = {}
    for name, case in cases.items():
        out[name] = (case, default_runs(case["image"].ndim, case["image"].shape[0]))
    return out


def command_fixtures(args: argparse.Namespace) -> None:
    """Write one .npz per synthetic case: inputs, sampled map values and whole-map sums."""
    import pywt
    import radiomics
    import SimpleITK as sitk

    out_dir = Path(args.directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    versions = {
        "pyradiomics": radiomics.__version__,
        "numpy": np.__version__,
        "SimpleITK": sitk.Version.VersionString(),
        "PyWavelets": pywt.__version__,
    }
    for extra in ("scipy", "skimage", "trimesh"):
        try:
            versions[extra] = __import__(extra).__version__
        except ImportError:
            versions[extra] = "absent"
    for case_name, (case, runs) in _fixture_cases().items():
        maps, order = pyradiomics_maps(case, runs)
        rng = np.random.default_rng(sum(case_name.encode()))
        shape = case["image"].shape
        flat = rng.choice(int(np.prod(shape)), size=FIXTURE_SAMPLES, replace=False)
        everywhere = np.stack(np.unravel_index(np.sort(flat), shape), axis=1)
        roi_flat = np.flatnonzero(case["mask"])
        roi_pick = rng.choice(roi_flat, size=min(FIXTURE_SAMPLES, roi_flat.size), replace=False)
        in_roi = np.stack(np.unravel_index(np.sort(roi_pick), shape), axis=1)
        payload: dict[str, np.ndarray] = {
            "image": case["image"],
            "spacing": case["spacing"],
            "mask": case["mask"],
            "sample_index": everywhere.astype(np.int16),
            "roi_sample_index": in_roi.astype(np.int16),
        }
        manifest = []
        for run in runs:
            names = order[run["id"]]
            entry = {**run, "names": names, "dtypes": {}}
            for name in names if isinstance(names, list) else []:
                arr = maps["{}/{}".format(run["id"], name)]
                idx = in_roi if run["type"] == "LBP3D" else everywhere
                valid = case["mask"] if run["type"] == "LBP3D" else np.ones(shape, bool)
                v = arr[valid].astype(np.float64)
                finite = v[np.isfinite(v)]
                key = "{}/{}".format(run["id"], name)
                payload["values/" + key] = arr[tuple(idx.T)]
                payload["stats/" + key] = np.array(
                    [
                        finite.sum(),
                        np.abs(finite).sum(),
                        (finite * finite).sum(),
                        finite.min() if finite.size else np.nan,
                        finite.max() if finite.size else np.nan,
                        float(v.size - finite.size),
                    ]
                )
                entry["dtypes"][name] = str(arr.dtype)
            manifest.append(entry)
        payload.update({k: v for k, v in maps.items() if k.startswith("crop/")})
        payload["manifest"] = np.array(json.dumps({"runs": manifest, "versions": versions}))
        target = out_dir / f"{case_name}.npz"
        np.savez_compressed(target, **payload)
        print(f"{target}: {len(manifest)} runs, {target.stat().st_size / 1024:.0f} KiB")


# ---------------------------------------------------------------------------------------
# comparison (radiomix interpreter)
# ---------------------------------------------------------------------------------------


def run_pyradiomics(case: dict, runs: list[dict], tmp: Path) -> tuple[dict, dict]:
    """Run ``run`` under the PyRadiomics interpreter; returns its maps and yield order."""
    src, dst = tmp / "in.npz", tmp / "out.npz"
    np.savez(src, runs=np.array(json.dumps(runs)), **case)
    subprocess.run([str(PYRAD_PYTHON), __file__, "run", str(src), str(dst)], check=True)
    with np.load(dst, allow_pickle=False) as data:
        order = json.loads(str(data["order"]))
        maps = {k: data[k] for k in data.files if k != "order"}
    return maps, order


def radiomix_maps(case: dict, runs: list[dict]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """radiomix's maps (``{"<id>/<name>": map}``) and the errors of runs that raised."""
    from radiomix.errors import RadiomixError
    from radiomix.filters.pyradiomics import pyradiomics_images

    out, errors = {}, {}
    for run in runs:
        try:
            maps = pyradiomics_images(
                run["type"],
                case["image"],
                tuple(case["spacing"]),
                case["mask"],
                run["settings"],
            )
        except RadiomixError as exc:
            errors[run["id"]] = f"{type(exc).__name__}: {exc}"
            continue
        out.update({"{}/{}".format(run["id"], k): v for k, v in maps.items()})
    return out, errors


def differences(ours: np.ndarray, ref: np.ndarray, valid: np.ndarray) -> tuple[float, float]:
    """Largest |a - b| and largest |a - b| / max(|b|) over ``valid`` (NaNs must coincide)."""
    a, b = ours[valid].astype(np.float64), ref[valid].astype(np.float64)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return float("inf"), float("inf")
    keep = ~np.isnan(b)
    if not keep.any():
        return 0.0, 0.0
    diff = np.abs(a[keep] - b[keep])
    scale = np.abs(b[keep])
    rel = diff / np.where(scale > 0, scale, 1.0)
    return float(diff.max()), float(rel[scale > 1e-6 * scale.max()].max(initial=0.0))


def command_compare(args: argparse.Namespace) -> None:
    import logging

    logging.getLogger("radiomix").setLevel(logging.ERROR)
    cases = {
        "smooth_f64_3d": make_case("smooth", (args.size, args.size + 3, args.size + 5), seed=11),
        "ct_i16_3d": make_case("ct", (args.size - 3, args.size, args.size + 1), seed=12),
        "plane_f32_2d": make_case("plane", (2 * args.size, 2 * args.size + 3), seed=13),
        "slab_f32_3d": make_case("slab", (5, args.size, args.size + 2), seed=14),
    }
    if args.shared:
        cases.update(shared_cases())
    table: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case_name, case in cases.items():
            runs = default_runs(case["image"].ndim, case["image"].shape[0])
            ref, order = run_pyradiomics(case, runs, Path(tmp))
            ours, errors = radiomix_maps(case, runs)
            for run in runs:
                names = order[run["id"]]
                if names is None:
                    print(f"{case_name} {run['id']}: PyRadiomics could not run it")
                    continue
                if isinstance(names, dict) or run["id"] in errors:
                    print(f"{case_name} {run['id']}: PyRadiomics {names}; radiomix", end=" ")
                    print(errors.get(run["id"], "computed maps"))
                    continue
                mine = [k.split("/", 1)[1] for k in ours if k.startswith(run["id"] + "/")]
                if mine != names:
                    print(f"{case_name} {run['id']}: names differ: {mine} vs {names}")
                for name in names:
                    key = "{}/{}".format(run["id"], name)
                    valid = (
                        case["mask"]
                        if run["type"] == "LBP3D"
                        else np.ones(case["mask"].shape, bool)
                    )
                    d_abs, d_rel = differences(ours[key], ref[key], valid)
                    kind = run["type"] + (" (k)" if name == "lbp-3D-k" else "")
                    kind += " (m)" if name.startswith("lbp-3D-m") else ""
                    row = table.setdefault(kind, [0.0, 0.0, 0, 0])
                    row[0], row[1] = max(row[0], d_abs), max(row[1], d_rel)
                    row[2] += 1
                    row[3] += int(np.array_equal(ours[key], ref[key], equal_nan=True))
    print(
        f"\n{'image type':<16} {'maps':>5} {'bitwise':>8} {'max abs diff':>13} {'max rel diff':>13}"
    )
    for name, (d_abs, d_rel, n, same) in sorted(table.items()):
        print(f"{name:<16} {n:>5} {same:>8} {d_abs:>13.3g} {d_rel:>13.3g}")


def shared_cases(names: tuple[str, ...] = ("breast1", "brain1", "lung1")) -> dict[str, dict]:
    """PyRadiomics' own test cases, cropped to the label's bounding box +- 5 voxels."""
    import SimpleITK as sitk

    from radiomix.filters.pyradiomics import pyradiomics_crop

    out = {}
    for name in names:
        img_path = SHARED_CASES / f"{name}_image.nrrd"
        if not img_path.exists():
            print(f"{img_path} absent; skipped")
            continue
        img = sitk.ReadImage(str(img_path))
        msk = sitk.GetArrayFromImage(sitk.ReadImage(str(SHARED_CASES / f"{name}_label.nrrd")))
        arr = sitk.GetArrayFromImage(img)
        box = pyradiomics_crop(msk == 1, 5)
        out[name] = {
            "image": arr[box],
            "spacing": np.asarray(img.GetSpacing()[::-1], dtype=float),
            "mask": (msk == 1)[box],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run PyRadiomics' generators (PyRadiomics interpreter)")
    p.add_argument("input")
    p.add_argument("output")
    p.set_defaults(func=command_run)
    p = sub.add_parser("fixtures", help="write the committed test fixtures")
    p.add_argument("directory", nargs="?", default=str(FIXTURE_DIR))
    p.set_defaults(func=command_fixtures)
    p = sub.add_parser("compare", help="radiomix vs PyRadiomics, max differences per type")
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--shared", action="store_true")
    p.set_defaults(func=command_compare)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
