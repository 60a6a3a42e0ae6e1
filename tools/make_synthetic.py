"""Generate the embedded synthetic fine-grained benchmark.

    python tools/make_synthetic.py data/synthetic_birds [--num-classes 16]
        [--images-per-class 80] [--train-per-class 40] [--image-size 96]
        [--seed 0] [--overwrite] [--keep-current]

Writes the CUB-200-2011 folder layout (read by mmpretrain's ``CUB``) plus a
part label map per image under ``parts/``; see mmfgssl.datasets.synthetic.
The arguments are checked before anything is written; ``--overwrite``
replaces only a data set this generator wrote (it marks its folders), and
only the entries it wrote. ``--keep-current`` leaves a complete data set
written with exactly these settings as it is (the quick start uses it with
``--overwrite``: an older benchmark is redrawn, the current one reused).
"""
import argparse
import time

from mmfgssl.datasets import make_synthetic_birds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', nargs='?', default='data/synthetic_birds')
    parser.add_argument('--num-classes', type=int, default=16)
    parser.add_argument('--images-per-class', type=int, default=80)
    parser.add_argument('--train-per-class', type=int, default=40)
    parser.add_argument('--image-size', type=int, default=96)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--overwrite', action='store_true')
    parser.add_argument('--keep-current', action='store_true')
    args = parser.parse_args()
    start = time.time()
    try:
        counts = make_synthetic_birds(
            args.out_dir,
            num_classes=args.num_classes,
            images_per_class=args.images_per_class,
            image_size=args.image_size,
            train_per_class=args.train_per_class,
            seed=args.seed,
            overwrite=args.overwrite,
            keep_current=args.keep_current)
    except (ValueError, FileExistsError) as error:
        raise SystemExit(f'make_synthetic.py: {error}')
    if not counts['written']:
        print(f'{args.out_dir} already holds this data set; kept it')
        return
    print(f'wrote {counts["train"]} train + {counts["test"]} test images of '
          f'{counts["classes"]} classes to {args.out_dir} '
          f'in {time.time() - start:.1f}s')


if __name__ == '__main__':
    main()
