"""Is the synthetic benchmark fine-grained, and does the generic
initialisation stand in for ImageNet? Probes of features that cannot see
the parts, frozen random and generic features, and supervised fine-tuning
from both, in one run; for the supervised models also how often each
class-deciding detail (beak, wing bars, crest, eye ring) is read right.

    python benchmarks/synthetic_difficulty.py [--data data/synthetic_birds]
        [--epochs 20] [--lr 0.1] [--seed 0]

Rows (test accuracy, %, on the test split; kNN: k=20, T=0.07 on the
training split, as the protocols):
  chance                        1 / num_classes
  colour statistics + linear    per-channel mean/std and 8-bin histograms
  random ResNet (frozen)        the synthetic configs' backbone, random init
  generic ResNet (frozen)       the same backbone, generic initialisation
  supervised from random init   the backbone fine-tuned with labels
  supervised from generic init  the same from the generic initialisation
The benchmark is fine-grained when colour statistics stay near chance while
supervised models reach high accuracy: global appearance does not identify
the class, the parts do. The generic initialisation counts as a stand-in
for ImageNet when its frozen features beat chance on kNN and fine-tuning
from it beats fine-tuning from random weights.
"""
import argparse
import os.path as osp
import time

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.registry import MODELS
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import mmfgssl  # noqa: F401
from mmfgssl.checkpoint import load_state_dict_strict, state_dict_of
from mmfgssl.datasets import make_synthetic_birds
from mmfgssl.datasets.synthetic import BENCHMARK_ATTRIBUTES
from mmfgssl.evaluation.functional import weighted_knn_predict
from mmfgssl.generic_init import load_from_generic

# The backbone of the synthetic-benchmark configs (random init here; the
# generic initialisation is loaded by build_backbone).
BACKBONE = dict(
    Config.fromfile(
        osp.join(
            osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
            '_base_', 'models', 'resnet18_cpu.py')).cpu_backbone.to_dict(),
    init_cfg=None)
GENERIC = 'generic://resnet18_cpu'


def build_backbone(generic: bool):
    """The synthetic configs' ResNet, from random weights (seeded by the
    caller) or from its generic initialisation (strict)."""
    backbone = MODELS.build(BACKBONE)
    if generic:
        state = state_dict_of(load_from_generic(GENERIC), GENERIC)
        load_state_dict_strict(
            backbone, {
                k[len('backbone.'):]: v
                for k, v in state.items()
            }, GENERIC)
    return backbone


MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


def load_split(root, split):
    rows = [line.split() for line in open(osp.join(root, 'images.txt'))]
    labels = [
        int(line.split()[1]) - 1
        for line in open(osp.join(root, 'image_class_labels.txt'))
    ]
    is_train = [
        line.split()[1] == '1'
        for line in open(osp.join(root, 'train_test_split.txt'))
    ]
    keep = [i for i, t in enumerate(is_train) if t == (split == 'train')]
    images = np.stack([
        np.asarray(Image.open(osp.join(root, 'images', rows[i][1])))
        for i in keep
    ])
    return images, np.array([labels[i] for i in keep])


def colour_statistics(images):
    x = images.reshape(len(images), -1, 3).astype(np.float32)
    hist = [
        np.stack([np.histogram(img[:, c], 8, (0, 256))[0] for c in range(3)])
        for img in x
    ]
    return np.concatenate(
        [x.mean(1),
         x.std(1),
         np.stack(hist).reshape(len(x), -1) / x.shape[1]], 1)


def to_tensor(images):
    return (torch.from_numpy(images).permute(0, 3, 1, 2).float() - MEAN) / STD


@torch.no_grad()
def pooled_features(backbone, images):
    backbone.eval()
    return torch.cat([
        backbone(to_tensor(images[i:i + 64]))[-1].mean((2, 3))
        for i in range(0, len(images), 64)
    ]).numpy()


def linear_accuracy(train_x, train_y, test_x, test_y):
    scaler = StandardScaler().fit(train_x)
    clf = LogisticRegression(max_iter=5000, C=1.0)
    clf.fit(scaler.transform(train_x), train_y)
    return 100 * clf.score(scaler.transform(test_x), test_y)


def augment(x, gen):
    """Random flips only, as the supervised baseline configs (their recipe
    was chosen on the validation split; a crop can cut out a part or change
    a beak's apparent length)."""
    flip = torch.rand(len(x), generator=gen) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)


def knn_accuracy(train_x, train_y, test_x, test_y):
    train_x = F.normalize(torch.from_numpy(train_x), dim=1)
    test_x = F.normalize(torch.from_numpy(test_x), dim=1)
    scores = weighted_knn_predict(train_x, torch.from_numpy(train_y), test_x,
                                  int(train_y.max()) + 1)
    return 100 * (scores.argmax(1).numpy() == test_y).mean()


def supervised_predictions(train_images, train_y, test_images, epochs,
                           max_lr, seed, generic):
    """Test-split class predictions of the backbone fine-tuned with labels
    (flips, SGD with a one-cycle schedule, no checkpoint selection)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    backbone = build_backbone(generic)
    num_classes = int(train_y.max()) + 1
    head = torch.nn.Linear(256, num_classes)
    params = list(backbone.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=5e-4)
    steps = epochs * ((len(train_y) + 31) // 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr, total_steps=steps)
    x_all, y_all = to_tensor(train_images), torch.from_numpy(train_y)
    for _ in range(epochs):
        backbone.train()
        order = torch.randperm(len(y_all), generator=gen)
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            logits = head(backbone(augment(x_all[idx], gen))[-1].mean((2, 3)))
            loss = F.cross_entropy(logits, y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    feats = torch.from_numpy(pooled_features(backbone, test_images))
    with torch.no_grad():
        return head(feats).argmax(1).numpy()


def detail_accuracies(root, pred, labels):
    """For each class-deciding detail, how often (%) the predicted class has
    the true class's value of it (``attributes.txt``): which details a
    model reads."""
    values = [
        line.split()[1:] for line in open(osp.join(root, 'attributes.txt'))
    ]
    return [
        100 * np.mean([values[p][k] == values[t][k]
                       for p, t in zip(pred, labels)])
        for k in range(len(BENCHMARK_ATTRIBUTES))
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/synthetic_birds')
    parser.add_argument(
        '--epochs',
        type=int,
        default=20,
        help='supervised fine-tuning epochs (default: the synthetic budget)')
    parser.add_argument(
        '--lr',
        type=float,
        default=0.1,
        help='peak lr of the supervised rows\' one-cycle schedule')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if not osp.isdir(args.data):
        make_synthetic_birds(args.data, seed=args.seed)
    train_images, train_y = load_split(args.data, 'train')
    test_images, test_y = load_split(args.data, 'test')

    rows = [('chance', 100 / (train_y.max() + 1), None, 0.0)]
    start = time.time()
    acc = linear_accuracy(
        colour_statistics(train_images), train_y,
        colour_statistics(test_images), test_y)
    rows.append(('colour statistics + linear', acc, None, time.time() - start))
    for name, generic in (('random', False), ('generic', True)):
        start = time.time()
        torch.manual_seed(args.seed)
        backbone = build_backbone(generic)
        train_x = pooled_features(backbone, train_images)
        test_x = pooled_features(backbone, test_images)
        rows.append((f'{name} ResNet (frozen) + linear / kNN',
                     linear_accuracy(train_x, train_y, test_x, test_y),
                     knn_accuracy(train_x, train_y, test_x,
                                  test_y), time.time() - start))
    details = []
    for name, generic in (('random', False), ('generic', True)):
        start = time.time()
        pred = supervised_predictions(train_images, train_y, test_images,
                                      args.epochs, args.lr, args.seed,
                                      generic)
        row = f'supervised from {name} init ({args.epochs} ep)'
        rows.append((row, 100 * (pred == test_y).mean(), None,
                     time.time() - start))
        details.append((row, detail_accuracies(args.data, pred, test_y)))

    print(f'synthetic benchmark {args.data}: {len(train_y)} train / '
          f'{len(test_y)} test images')
    print('| features | test top-1 (%) | kNN top-1 (%) | x chance | '
          'time (s) |')
    print('|---|---|---|---|---|')
    chance = rows[0][1]
    for name, acc, knn, seconds in rows:
        knn_cell = '' if knn is None else f'{knn:.1f}'
        print(f'| {name} | {acc:.1f} | {knn_cell} | {acc / chance:.1f} | '
              f'{seconds:.0f} |')
    print('\nTest accuracy (%) of each class-deciding detail:\n')
    print('| model | ' + ' | '.join(BENCHMARK_ATTRIBUTES) + ' |')
    print('|---|' + '---|' * len(BENCHMARK_ATTRIBUTES))
    for name, accs in details:
        print(f'| {name} | ' + ' | '.join(f'{a:.1f}' for a in accs) + ' |')


if __name__ == '__main__':
    main()
