"""Draw the README picture: what each trained arm's front makes of the same validation photos, beside bilinear.

    python docs/draw_resizer_comparison.py docs/resizer_comparison.jpg --data-dir DIR \\
        --run bilinear=RUN_DIR --run "learnable resizer"=RUN_DIR --run MULLER=RUN_DIR

Each RUN_DIR is a finished run folder (zoo-run's, or one seed's folder of a zoo compare); its last checkpoint is
drawn. The photos are the first run's picture images (its validation split, the classes in turn), as its own
stages_after.png shows them; every arm's residual is on the picture's one scale
(resizer_plugin.zoo.pictures.residual_scale).
"""
import argparse


def _arm(text):
    label, separator, folder = text.partition("=")
    if not (separator and label and folder):
        raise argparse.ArgumentTypeError("give LABEL=RUN_DIR, not {!r}".format(text))
    return label, folder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="image file to write (.png or .jpg)")
    parser.add_argument("--run", type=_arm, action="append", required=True, metavar="LABEL=RUN_DIR",
                        help="an arm to draw (repeat, in column order)")
    parser.add_argument("--data-dir", help="where the runs' data lies, if not where they were trained")
    parser.add_argument("--images", type=int, default=4, help="rows: validation photos, the classes in turn")
    parser.add_argument("--title", default="what each trained front makes of validation photos")
    args = parser.parse_args(argv)

    from resizer_plugin.zoo import pictures
    from resizer_plugin.zoo.finished_run import open_run
    from resizer_plugin.zoo.training.pipeline import picture_images

    runs = [(label, open_run(folder, "last", data_dir=args.data_dir)) for label, folder in args.run]
    first = runs[0][1]
    images = picture_images(first.recipe, len(first.class_names), args.images).astype("float32") / 255.0
    arms = [(label, pictures.stages_transform(run.model.stages)) for label, run in runs]
    target_size = tuple(first.model.stages.output.shape[1:3])
    pictures.arms_comparison(images, arms, args.output, target_size, title=args.title)
    print(args.output)


if __name__ == "__main__":
    main()
