"""``termfit export``: write an ONNX / OpenVINO copy of a model for fast CPU inference."""

from __future__ import annotations

import argparse

from termfit.commands._args import positive_int
from termfit.export_layout import FORMATS

HELP = "export a model to ONNX (fp32/int8) or OpenVINO int8, optionally with a trimmed vocabulary"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None,
                   help="model folder or id (default: the offline multilingual-e5-small)")
    p.add_argument("--format", required=True, choices=FORMATS, help="what to export to")
    p.add_argument("--out", required=True, help="output folder (replaced atomically)")
    p.add_argument("--trim", action="store_true",
                   help="keep only the glossary's pieces plus a general Korean/English vocabulary")
    p.add_argument("--keep-glossary", nargs="+", default=[], metavar="GLOSSARY",
                   help="glossary files whose terms keep their pieces (with --trim), also "
                   "used to calibrate openvino-int8")
    p.add_argument("--no-general-vocab", action="store_true",
                   help="with --trim, keep only the glossary's pieces")
    p.add_argument("--max-seq-length", type=positive_int, default=None,
                   help="truncate inputs to this many tokens (default: the model's)")
    p.add_argument("--threads", type=positive_int, default=None,
                   help="inference threads stored in the export (default: one per core)")


def glossary_texts(paths: list[str]) -> list[str]:
    """Every text of the glossary entries: abbreviations, expansions, Korean terms, aliases."""
    from termfit.glossary import load_glossary

    texts: list[str] = []
    for e in load_glossary(paths):
        texts += [e.abbr, e.expansion, *e.ko, *e.aliases]
        texts += [t for t in (e.definition, e.category) if t]
    return texts


def run(args: argparse.Namespace) -> int:
    from termfit.errors import TermfitError
    from termfit.export import export_model
    from termfit.export_layout import folder_size, read_manifest
    from termfit.fileio import check_output

    check_output(args.out, folder=True)
    if args.no_general_vocab and not args.trim:
        raise TermfitError("--no-general-vocab needs --trim")
    if args.no_general_vocab and not args.keep_glossary:
        raise TermfitError("--no-general-vocab needs --keep-glossary (nothing would be kept)")
    if args.keep_glossary and not args.trim and args.format != "openvino-int8":
        raise TermfitError("--keep-glossary needs --trim (or --format openvino-int8)")
    keep = glossary_texts(args.keep_glossary) if args.keep_glossary else []
    out = export_model(
        args.model, args.format, args.out, trim=args.trim, keep=keep,
        general_vocab=not args.no_general_vocab, calibration=keep,
        max_seq_length=args.max_seq_length, num_threads=args.threads,
    )
    info = read_manifest(out) or {}
    print(f"{out}: {args.format}, vocabulary {info.get('vocab_size')}, "
          f"{folder_size(out) / 1e6:.1f} MB on disk")
    return 0
