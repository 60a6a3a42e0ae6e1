"""LCR: GradCAM, KL loss, rationale pooling, gradients and the tools."""
import copy
import math
import re

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.selfsup import MoCo
from mmpretrain.registry import MODELS

import mmfgssl  # noqa: F401
from mmfgssl.models.selfsup.lcr import minmax_normalize, rationale_kl_loss
from mmfgssl.models.utils import loss_gradcam, mask_pool

from conftest import TINY
from test_models import SMALL_MOCO, _batch

SMALL_LCR = dict(
    copy.deepcopy(SMALL_MOCO),
    type='LCR',
    rationale_branch=dict(
        type='RationaleBranch', in_channels=64, num_projections=4))


def _reference_cam(head_fn, feature_map, form, sign):
    """GradCAM from a second, separate autograd pass on a detached copy of
    the feature map (the textbook way of computing it)."""
    leaf = feature_map.detach().clone().requires_grad_(True)
    grad, = torch.autograd.grad(head_fn(leaf), leaf)
    grad = sign * grad
    if form == 'gradcam':
        weights = grad.mean(dim=(2, 3), keepdim=True)
        return F.relu((leaf * weights).sum(1)).detach()
    return F.relu((leaf * grad).sum(1)).detach()


@pytest.mark.parametrize('form', ['grad_x_act', 'gradcam'])
@pytest.mark.parametrize('sign', [1.0, -1.0])
def test_gradcam_matches_a_separate_autograd_pass(form, sign):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 6, 3, padding=1)
    head = torch.nn.Sequential(
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
        torch.nn.Linear(6, 5))
    targets = torch.tensor([1, 3])

    def head_fn(fmap):
        return F.cross_entropy(head(fmap), targets)

    feature_map = torch.relu(conv(torch.randn(2, 3, 5, 4)))
    cam = loss_gradcam(head_fn(feature_map), feature_map, form, sign)
    assert cam.shape == (2, 5, 4)
    want = _reference_cam(head_fn, feature_map, form, sign)
    assert torch.allclose(cam, want, atol=1e-6)
    assert (cam >= 0).all() and cam.sum() > 0


def test_gradcam_does_not_run_backward_through_the_backbone():
    model = MODELS.build(copy.deepcopy(SMALL_LCR))
    data = model.data_preprocessor(_batch(), True)
    calls = []
    model.backbone.layer1.register_full_backward_hook(
        lambda *args: calls.append(1))
    loss, cam, _, _ = model.contrastive_loss_and_cam(data['inputs'])
    assert calls == [] and model.backbone.conv1.weight.grad is None
    loss.backward()
    assert calls == [1]  # only the main backward reaches the backbone


def test_lcr_gradcam_is_that_of_the_infonce_loss():
    model = MODELS.build(copy.deepcopy(SMALL_LCR))
    data = model.data_preprocessor(_batch(), True)
    torch.manual_seed(0)
    loss, cam, feature_map, k = model.contrastive_loss_and_cam(data['inputs'])

    def head_fn(fmap):  # InfoNCE of the same keys and queue
        q = model.query_embedding(fmap)
        return model.head.loss(*model.contrastive_logits(q, k))

    assert torch.allclose(head_fn(feature_map), loss)
    want = _reference_cam(head_fn, feature_map, 'grad_x_act', 1.0)
    assert torch.allclose(cam, want, atol=1e-7)


def test_kl_loss_by_hand():
    att = torch.tensor([[[0.0, 1.0], [2.0, 0.5]]])
    cam = torch.tensor([[[1.0, 0.0], [0.0, 3.0]]])

    def softmax(xs):
        z = sum(math.exp(x) for x in xs)
        return [math.exp(x) / z for x in xs]

    def kl(p, q):
        return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))

    rows = kl(softmax([1, 0]), softmax([0, 1])) + kl(
        softmax([0, 3]), softmax([2, 0.5]))
    assert rationale_kl_loss(att, cam, 'row').item() == pytest.approx(rows)
    flat = kl(softmax([1, 0, 0, 3]), softmax([0, 1, 2, 0.5]))
    assert rationale_kl_loss(att, cam, 'map').item() == pytest.approx(flat)
    t = 0.4
    flat_t = kl(
        softmax([1 / t, 0, 0, 3 / t]), softmax([0, 1 / t, 2 / t, 0.5 / t]))
    assert rationale_kl_loss(att, cam, 'map',
                             t).item() == pytest.approx(flat_t)
    # sum over the batch
    assert rationale_kl_loss(att.repeat(3, 1, 1), cam.repeat(3, 1, 1),
                             'row').item() == pytest.approx(3 * rows)


def test_minmax_normalize_batch_and_image():
    maps = torch.tensor([[[1., 3.]], [[5., 9.]]])
    assert torch.allclose(
        minmax_normalize(maps, per_image=False),
        torch.tensor([[[0, 0.25]], [[0.5, 1]]]))
    assert torch.allclose(
        minmax_normalize(maps, per_image=True),
        torch.tensor([[[0., 1]], [[0, 1]]]))


def test_rationale_pooled_feature_by_direct_computation():
    model = MODELS.build(copy.deepcopy(SMALL_LCR)).eval()
    x = torch.randn(3, 3, 48, 48)
    got = model.extract_test_feature(x)
    fmap = model.backbone(x)[-1]
    branch = model.rationale_branch
    proj = torch.relu(branch.norm(branch.proj(fmap)))  # (N, K, H, W)
    w = proj.max(dim=1).values
    w = (w - w.min()) / (w - w.min()).max()  # batch-wide min-max
    n, c, h, wd = fmap.shape
    want = torch.stack([
        sum(w[i, y, z] * fmap[i, :, y, z] for y in range(h)
            for z in range(wd)) / (h * wd) for i in range(n)
    ])
    want = want / want.norm(dim=1, keepdim=True)
    assert torch.allclose(got, want, atol=1e-5)


def test_mask_pool_average_and_weighted():
    fmap = torch.arange(8.).view(1, 2, 2, 2)  # channels [0..3], [4..7]
    masks = torch.tensor([[[[1., 0.], [0., 1.]], [[0.5, 0.], [0., 0.]]]])
    avg = mask_pool(fmap, masks)
    assert torch.allclose(
        avg[0], torch.tensor([[1.5, 5.5], [0.0, 4.0]]), atol=1e-5)
    weighted = mask_pool(fmap, masks, normalize=False)
    assert torch.allclose(weighted[0], torch.tensor([[0.75, 2.75], [0, 0.5]]))


def test_gradients_reach_branch_and_backbone_and_loss_terms_are_logged():
    model = MODELS.build(copy.deepcopy(SMALL_LCR))
    data = model.data_preprocessor(_batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss', 'loss_rationale'}
    assert losses['loss_rationale'].item() > 0
    losses['loss_rationale'].backward()
    assert model.rationale_branch.proj.weight.grad.abs().sum() > 0
    assert model.backbone.layer4[1].conv2.weight.grad.abs().sum() > 0
    assert int(model.queue_ptr) == 4


def test_detach_cam_stops_the_target_path():
    """With the code's default, the KL reaches the feature map through the
    GradCAM target as well; with detach_cam only through the branch."""
    grads = {}
    for detach in (False, True):
        model = MODELS.build(dict(copy.deepcopy(SMALL_LCR), detach_cam=detach))
        model.rationale_branch.requires_grad_(False)
        data = model.data_preprocessor(_batch(), True)
        torch.manual_seed(0)
        model(**data, mode='loss')['loss_rationale'].backward()
        grads[detach] = model.backbone.layer4[1].conv2.weight.grad.clone()
    assert not torch.allclose(grads[False], grads[True])


def test_mocov2_loss_equals_mmpretrain_moco():
    ours = MODELS.build(copy.deepcopy(SMALL_MOCO))
    cfg = copy.deepcopy(SMALL_MOCO)
    cfg.pop('type')
    theirs = MoCo(**cfg)
    theirs.load_state_dict(ours.state_dict())
    data = ours.data_preprocessor(_batch(), True)
    torch.manual_seed(0)
    a = ours(**copy.deepcopy(data), mode='loss')['loss']
    torch.manual_seed(0)
    b = theirs(**copy.deepcopy(data), mode='loss')['loss']
    assert torch.allclose(a, b)
    assert torch.equal(ours.queue, theirs.queue)


def test_rationale_synthetic_trains_and_tests(tiny_synthetic, tool, repo_root):
    work_dir = tiny_synthetic / 'work_dirs' / 'lcr'
    out = tool([
        'train.py', f'{repo_root}/configs/rationale_synthetic.py',
        '--work-dir',
        str(work_dir), '--cfg-options', *TINY, 'train_cfg.max_epochs=2',
        'train_cfg.val_interval=2'
    ],
               cwd=tiny_synthetic)
    assert out.returncode == 0, out.stdout[-5000:]
    assert re.search(r'loss: [\d.]+\s+loss_rationale: [\d.]+', out.stdout)
    assert 'retrieval/mAP' in out.stdout
    out = tool([
        'test.py', f'{repo_root}/configs/rationale_synthetic.py',
        str(work_dir / 'epoch_2.pth'), '--cfg-options', *TINY[1:]
    ],
               cwd=tiny_synthetic)
    assert out.returncode == 0, out.stdout[-5000:]
    assert re.search(r'\| retrieval/mAP\s+\|\s+[\d.]+ \|', out.stdout)
    # the rationale/GradCAM drawing tool on the same checkpoint
    png = tiny_synthetic / 'rationale.png'
    out = tool([
        'visualize_rationale.py',
        f'{repo_root}/configs/rationale_synthetic.py',
        str(work_dir / 'epoch_2.pth'), '--num-images', '3', '--out',
        str(png)
    ],
               cwd=tiny_synthetic)
    assert out.returncode == 0, out.stdout[-5000:]
    from PIL import Image
    grid = Image.open(png)
    # 3 rows x 3 columns of 64 px tiles, 2 px padding, magnified twice
    assert grid.size == (2 * (3 * 66 + 2), 2 * (3 * 66 + 2))
