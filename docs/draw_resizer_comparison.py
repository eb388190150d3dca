"""Draw the README picture: scikit-image photos, 300x300 -> 150x150, bilinear and a freshly initialized resizer.

    python docs/draw_resizer_comparison.py docs/resizer_comparison.jpg
"""
import argparse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="image file to write (.png or .jpg)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import tensorflow as tf

    from resizer_plugin import LearnableResizer
    from resizer_plugin.photos import sample_photos
    from resizer_plugin.zoo.pictures import transform_comparison

    tf.random.set_seed(args.seed)
    transform_comparison(sample_photos((300, 300), 3), LearnableResizer((150, 150)), args.output, (150, 150),
                         label="learnable resizer",
                         title="learnable resizer at initialization (random weights, before any training)")
    print(args.output)


if __name__ == "__main__":
    main()
