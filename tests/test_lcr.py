"""LCR: GradCAM, KL loss, rationale pooling, gradients and the tools."""
import copy
import json
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

from conftest import TINY, assert_ok, evaluate, free_port, visualize
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
    step = model.contrastive_step(data['inputs'])
    model.gradcam(step)
    assert calls == [] and model.backbone.conv1.weight.grad is None
    step.loss.backward()
    assert calls == [1]  # only the main backward reaches the backbone


def test_lcr_gradcam_is_that_of_the_infonce_loss():
    model = MODELS.build(copy.deepcopy(SMALL_LCR))
    data = model.data_preprocessor(_batch(), True)
    torch.manual_seed(0)
    step = model.contrastive_step(data['inputs'])
    cam = model.gradcam(step)

    def head_fn(fmap):  # InfoNCE of the same keys and queue
        q = model.query_embedding(fmap)
        return model.head.loss(*model.contrastive_logits(q, step.keys))

    assert torch.allclose(head_fn(step.feature_map), step.loss)
    want = _reference_cam(head_fn, step.feature_map, 'grad_x_act', 1.0)
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


@pytest.mark.parametrize('norm', ['batch', 'image'])
def test_rationale_pooled_feature_by_direct_computation(norm):
    model = MODELS.build(
        dict(copy.deepcopy(SMALL_LCR), test_attention_norm=norm)).eval()
    x = torch.randn(3, 3, 48, 48)
    got = model.extract_test_feature(x)
    fmap = model.backbone(x)[-1]
    branch = model.rationale_branch
    proj = torch.relu(branch.norm(branch.proj(fmap)))  # (N, K, H, W)
    w = proj.max(dim=1).values
    if norm == 'batch':  # the code's min-max over the whole test batch
        w = (w - w.min()) / (w - w.min()).max()
    else:
        w = torch.stack([(m - m.min()) / (m - m.min()).max() for m in w])
    n, c, h, wd = fmap.shape
    want = torch.stack([
        sum(w[i, y, z] * fmap[i, :, y, z] for y in range(h)
            for z in range(wd)) / (h * wd) for i in range(n)
    ])
    want = want / want.norm(dim=1, keepdim=True)
    assert torch.allclose(got, want, atol=1e-5)


def test_test_feature_does_not_depend_on_the_batch():
    """By default an image's retrieval feature is the same alone and in any
    batch; the code's batch-wide normalisation ('batch') is not."""
    torch.manual_seed(0)
    x = torch.randn(5, 3, 48, 48)
    for norm, independent in (('image', True), ('batch', False)):
        model = MODELS.build(
            dict(copy.deepcopy(SMALL_LCR), test_attention_norm=norm)).eval()
        with torch.no_grad():
            model.rationale_branch.norm.bias.fill_(0.5)  # maps stay > 0
            together = model.extract_test_feature(x)
            alone = torch.cat(
                [model.extract_test_feature(x[i:i + 1]) for i in range(5)])
        assert torch.allclose(together, alone, atol=1e-6) == independent


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


@pytest.fixture(scope='module')
def lcr_pretrained(tiny_synthetic, tool, repo_root):
    """Two epochs of LCR on the tiny benchmark, validated after the last."""
    work_dir = tiny_synthetic / 'work_dirs' / 'lcr'
    out = tool([
        'train.py', f'{repo_root}/configs/rationale_synthetic.py',
        '--work-dir',
        str(work_dir), '--cfg-options', *TINY, 'train_cfg.max_epochs=2',
        'train_cfg.val_interval=2'
    ],
               cwd=tiny_synthetic)
    assert out.returncode == 0, out.stdout[-5000:]
    return work_dir, out.stdout


def test_rationale_synthetic_trains_and_tests(lcr_pretrained, tiny_synthetic,
                                              tool, repo_root):
    work_dir, stdout = lcr_pretrained
    assert re.search(r'loss: [\d.]+\s+loss_rationale: [\d.]+', stdout)
    assert 'retrieval/mAP' in stdout
    config = f'{repo_root}/configs/rationale_synthetic.py'
    evaluate(tool, tiny_synthetic, config, work_dir / 'epoch_2.pth')
    # the shared drawing tool: GradCAM and rationale map
    png = tiny_synthetic / 'rationale.png'
    out = visualize(tool, tiny_synthetic, config, work_dir / 'epoch_2.pth',
                    png, 3)
    assert ('columns: input, GradCAM of the InfoNCE loss, rationale map, '
            'ground-truth parts') in out
    from PIL import Image
    grid = Image.open(png)
    # 3 rows x 4 columns of 64 px tiles, 2 px padding, magnified twice
    assert grid.size == (2 * (4 * 66 + 2), 2 * (3 * 66 + 2))


def test_one_and_two_process_test_numbers_agree(lcr_pretrained, tiny_synthetic,
                                                tool, repo_root, tmp_path):
    """tools/test.py (the 32 test and memory images in one batch) and
    tools/dist_test.sh ... 2 (batches of 2 images per process) give the
    same numbers for an LCR checkpoint; with the code's batch-wide
    normalisation (model.test_attention_norm=batch) they differ."""
    work_dir, _ = lcr_pretrained
    metrics = []
    runs = [('test.py', [], 64), ('dist_test.sh', ['2'], 2)]
    for launcher, processes, batch in runs:
        out = tmp_path / f'{launcher}.json'
        assert_ok(
            tool([
                launcher, f'{repo_root}/configs/rationale_synthetic.py',
                str(work_dir / 'epoch_2.pth'), *processes, '--work-dir',
                str(tmp_path / launcher), '--out',
                str(out), '--cfg-options', *TINY[1:],
                f'test_dataloader.batch_size={batch}'
            ],
                 cwd=tiny_synthetic,
                 env={'PORT': free_port()}))
        metrics.append(json.loads(out.read_text()))
    assert {'retrieval/Rank-1', 'retrieval/mAP', 'knn/top1'} <= set(metrics[0])
    assert metrics[1] == pytest.approx(metrics[0], abs=1e-6)
