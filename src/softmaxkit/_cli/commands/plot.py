"""``softmaxkit plot NAME --out FILE``: one figure of :mod:`softmaxkit.plot` by name."""

from __future__ import annotations

from ..base import UsageError, count, seed
from ..figures import CLASSIFIER_OPTIONS, FIGURES, IMAGE_SHAPES, check_output, save, train


def run(args) -> int:
    name = args.name.replace("_", "-").lower()
    spec = FIGURES.get(name)
    if spec is None:
        raise UsageError(f"unknown figure {args.name!r} (choose from {', '.join(FIGURES)})")
    out = check_output(args.out)
    allowed = set(spec.options) | (set(CLASSIFIER_OPTIONS) if spec.classifier else set())
    for opt in ("values", "seed", "ns", "ks", "temperatures", *CLASSIFIER_OPTIONS):
        if getattr(args, opt) is not None and opt not in allowed:
            flag = "--" + opt.replace("_", "-")
            raise UsageError(f"{flag} does not apply to the {name} figure")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("plot needs matplotlib: pip install 'softmaxkit[plot]'") from None
    trained = None
    if spec.classifier:
        dataset = args.dataset or "digits"
        if name == "weight-templates" and dataset not in IMAGE_SHAPES:
            raise UsageError(f"--dataset: weight-templates needs images (digits or "
                             f"fashion-mnist), got {dataset!r}")
        if name == "grid-search-heatmap" and dataset == "fashion-mnist":
            raise UsageError("--dataset: the grid search runs on the bundled datasets, "
                             "not fashion-mnist")
        if args.target is not None and not dataset.lower().endswith(".csv"):
            raise UsageError("--target names a column of --dataset PATH.csv")
        args.dataset = dataset
        args.random_state = 0 if args.random_state is None else args.random_state
        trained = train(dataset, epochs=args.epochs, random_state=args.random_state,
                        quiet=args.quiet, target=args.target)
    save(spec.draw(args, trained), out)
    print(f"{spec.name}: written to {out}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "plot",
        help="draw one figure of the notes or of the classifier",
        description="Draw one figure to a .png, .svg or .pdf file. Figures: "
        + ", ".join(FIGURES) + ".",
        epilog="Examples: softmaxkit plot smooth-max-vs-max --ks 1,2,5 --out smax.png | "
        "softmaxkit plot weight-templates --dataset digits --out templates.png",
    )
    p.add_argument("name", metavar="NAME", help="the figure (see above)")
    p.add_argument("--out", required=True, metavar="FILE", help="where to write (.png/.svg/.pdf)")
    p.add_argument("--values", metavar="NUMBERS",
                   help="the input numbers, e.g. '1,2,3' (rows separated by ';' for "
                   "axis-heatmaps)")
    p.add_argument("--seed", type=seed, help="seed of the random inputs (an integer >= 0)")
    p.add_argument("--ns", metavar="LIST", help="output-range: numbers of inputs, e.g. 2,10,100")
    p.add_argument("--ks", metavar="LIST", help="smooth-max-vs-max: sharpness values")
    p.add_argument("--temperatures", metavar="LIST",
                   help="temperature-sweep, sparsemax-vs-softmax: temperatures")
    p.add_argument("--dataset", help="classifier figures: iris, digits (default), wine, "
                   "breast_cancer, fashion-mnist or PATH.csv")
    p.add_argument("--target", help="with --dataset PATH.csv: the target column (default: "
                   "the last)")
    p.add_argument("--epochs", type=count, help="classifier figures: maximum epochs")
    p.add_argument("--random-state", type=seed, help="classifier figures: seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
