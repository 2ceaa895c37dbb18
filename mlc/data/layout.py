"""Which files hold which split and language: a path (one file, per-language files, split folders or files, a
save_to_disk folder, and the --validation, --test and --extra-data paths) mapped to splits of source files, and the
label names file beside them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from mlc.core.errors import ConfigError, DataError, FileAccessError, MissingFileError
from mlc.data.args import DataArgs
from mlc.data.readers import EXTENSIONS, Table, data_stem, data_suffix, read_saved_dataset
from mlc.data.textfiles import read_lines

SPLIT_ALIASES = {"train": "train", "training": "train", "dev": "validation", "development": "validation",
                 "validation": "validation", "valid": "validation", "val": "validation", "test": "test"}
SPLIT_ORDER = ("train", "validation", "test")
EXTRA = "extra"  # the split of --extra-data, merged into train after the validation split
LABEL_NAME_FILES = ("labels.txt", "label_names.txt", "classes.txt", "emotions.txt")


@dataclass
class Source:
    path: Path
    language: str | None  # from the file name, when the file sits among per-language files


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as err:
        raise FileAccessError(err, "cannot list") from None


def _data_files(folder: Path) -> list[Path]:
    return [p for p in _entries(folder) if p.is_file() and data_suffix(p) in EXTENSIONS and not p.name.startswith(".")]


def _group(files: list[Path]) -> list[Source]:
    """Files side by side: with two or more, each file's stem is its language (brighter/train/eng.csv, or
    eng.csv.gz)."""
    return [Source(f, data_stem(f) if len(files) > 1 else None) for f in files]


def discover(path: str | Path) -> tuple[dict[str, list[Source]], Path | None]:
    """Map a path to splits and their source files; the second value is set for a save_to_disk folder."""
    root = Path(path).expanduser()
    if not root.exists():
        raise MissingFileError("no such file or folder", path=str(root), hint="check the path")
    if root.is_file():
        return {"train": [Source(root, None)]}, None
    if (root / "dataset_dict.json").is_file() or (root / "state.json").is_file():
        return {}, root
    splits: dict[str, list[Source]] = {}
    for sub in (p for p in _entries(root) if p.is_dir()):
        name = SPLIT_ALIASES.get(sub.name.lower())
        if name and _data_files(sub):
            if name in splits:
                raise DataError(f"two folders give the {name} split", path=str(root),
                                hint="keep one of dev/validation/valid/val")
            splits[name] = _group(_data_files(sub))
    files = _data_files(root)
    split_files = {f: SPLIT_ALIASES[data_stem(f).lower()] for f in files if data_stem(f).lower() in SPLIT_ALIASES}
    if splits or split_files:
        for f, name in split_files.items():
            if name in splits:
                raise DataError(f"both a folder and a file give the {name} split", path=str(f))
            splits[name] = [Source(f, None)]
        return splits, None
    if not files:
        raise DataError("folder has no data files", path=str(root),
                        hint=f"expected files ending in {', '.join(sorted(set(EXTENSIONS)))}, or train/dev folders")
    return {"train": _group(files)}, None


def find_label_names(args: DataArgs, roots: list[Path]) -> list[str] | None:
    """The label names of integer ids: `args.label_names` (names, or a file of them), else a labels.txt (or
    label_names.txt, ...) in one of the data's `roots`, else None."""
    spec = args.label_names
    if isinstance(spec, (list, tuple)):  # the Python API may pass the names themselves
        spec = ",".join(map(str, spec))
    if spec is None:
        for root in roots:
            folder = root if root.is_dir() else root.parent
            for name in LABEL_NAME_FILES:
                if (folder / name).is_file():
                    spec = str(folder / name)
                    break
            if spec:
                break
    if spec is None:
        return None
    path = Path(spec).expanduser()
    if path.is_file():
        names = [line.strip() for line in read_lines(path) if line.strip()]
    elif "," in spec or not any(sep in spec for sep in "/\\."):
        names = [n.strip() for n in spec.split(",") if n.strip()]
    else:
        raise MissingFileError("label names file not found", path=spec)
    if len(set(names)) != len(names):
        raise ConfigError(f"label names repeat a name: {names}")
    return names


def split_files(args: DataArgs) -> tuple[dict[str, list[tuple[Source, Table | None]]], list[Path]]:
    """Every split's files in split order (train, validation, test, then any other), each with its table where it
    is in memory already (a save_to_disk split) or None (a file to read), and the data's root folders (where a
    labels.txt may be)."""
    discovered, saved = discover(args.data)
    roots = [Path(args.data).expanduser()]
    for split, extra in (("validation", args.validation), ("test", args.test), (EXTRA, args.extra_data)):
        if extra:
            more, more_saved = discover(extra)
            if more_saved or set(more) != {"train"}:
                raise DataError(f"the {split} path must be one file or a folder of per-language files",
                                path=str(extra))
            discovered[split] = more["train"]
            roots.append(Path(extra).expanduser())
    files: dict[str, list[tuple[Source, Table | None]]] = defaultdict(list)
    if saved is not None:
        for name, table in read_saved_dataset(saved).items():
            files[SPLIT_ALIASES.get(name.lower(), name)].append((Source(saved, None), table))
    for split, sources in discovered.items():
        files[split] += [(source, None) for source in sources]
    return {split: files[split] for split in sorted(files, key=_split_rank)}, roots


def _split_rank(split: str) -> int:
    return SPLIT_ORDER.index(split) if split in SPLIT_ORDER else len(SPLIT_ORDER)
