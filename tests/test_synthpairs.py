"""SynthPairs: the two criteria against separate computations, the selection,
the perturbations, the decoder, where gradients go, the SimSiam base, and
the tools end to end (train/test/draw/probe/part segmentation, resume,
two processes)."""
import copy
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope
from mmpretrain.models.selfsup import SimSiam
from mmpretrain.registry import MODELS
from mmseg.registry import MODELS as SEG_MODELS

import mmfgssl  # noqa: F401
from conftest import (TINY, assert_ok, assert_same_weights, evaluate,
                      train_killed_after, train_linear_probe, train_resumed,
                      train_two_processes, visualize)
from mmfgssl.compat import safe_torch_load
from mmfgssl.models.selfsup import synthpairs
from mmfgssl.models.selfsup.synthpairs import (derangement, perturb_features,
                                               select_channels)
from mmfgssl.models.utils import frozen_bn_statistics
from mmfgssl.visualization import channel_grid
from test_models import SMALL_MOCO, _batch

_DECODER = dict(
    type='FeatureDecoder', in_channels=64, out_size=24, channels=(16, 8, 8))
SMALL_SYNTH = dict(
    copy.deepcopy(SMALL_MOCO),
    type='SynthPairs',
    decoder=_DECODER,
    low_variance_fraction=0.25,
    low_importance_fraction=0.25)
SMALL_SIMSIAM = dict(
    type='FGSimSiam',
    backbone=SMALL_MOCO['backbone'],
    neck=dict(
        type='NonLinearNeck',
        in_channels=64,
        hid_channels=32,
        out_channels=32,
        num_layers=3,
        with_last_bn_affine=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',
            in_channels=32,
            hid_channels=8,
            out_channels=32,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True,
            norm_cfg=dict(type='BN1d'))),
    data_preprocessor=SMALL_MOCO['data_preprocessor'])


@pytest.fixture(autouse=True)
def first_epoch():
    MessageHub.get_current_instance().update_info('epoch', 0)


def _build(**options):
    torch.manual_seed(0)
    return MODELS.build(dict(copy.deepcopy(SMALL_SYNTH), **options))


def _inputs(model, n=4):
    return model.data_preprocessor(_batch(n), True)['inputs']


def _spy(model, name):
    """Record the arguments and results of ``model.<name>``."""
    calls = []
    method = getattr(model, name)

    def spy(*args):
        out = method(*args)
        calls.append((args, out))
        return out

    setattr(model, name, spy)
    return calls


# ------------------------------------------------------------ criteria ----
@pytest.mark.parametrize('sign', [1.0, -1.0])
def test_criteria_against_a_separate_autograd_pass(sign):
    """After one step the running statistics are that step's batch
    statistics, after two the mean of both (weight max(m, 1/t)): variance of
    the pooled feature, and ReLU(sign * F * dL_C/dF) from a second autograd
    pass through an explicit InfoNCE on a detached copy of F."""
    model = _build(cam_sign=sign)
    steps = _spy(model, 'ssl_step')
    want = []
    for seed in (0, 1):
        queue = model.queue.clone()  # before this step enqueues its keys
        torch.manual_seed(seed)
        model(_inputs(model), None, mode='loss')
        step = steps[-1][1]
        leaf = step.feature_map.detach().clone().requires_grad_(True)
        q = F.normalize(model.neck((leaf, ))[0], dim=1)
        logits = torch.cat([(q * step.keys).sum(1, keepdim=True), q @ queue],
                           dim=1) / 0.2
        loss = F.cross_entropy(logits, torch.zeros(4, dtype=torch.long))
        assert torch.allclose(loss, step.loss)
        grad, = torch.autograd.grad(loss, leaf)
        pooled = leaf.detach().mean(dim=(2, 3))
        want.append((pooled.var(0, unbiased=False),
                     F.relu(sign * leaf.detach() * grad).mean(dim=(0, 2, 3))))
        if seed == 0:
            assert torch.allclose(model.running_variance, want[0][0])
            assert torch.allclose(
                model.running_importance, want[0][1], atol=1e-9)
            assert model.running_importance.max() > 0
    assert int(model.stats_updates) == 2
    assert torch.allclose(model.running_variance,
                          (want[0][0] + want[1][0]) / 2)
    assert torch.allclose(
        model.running_importance, (want[0][1] + want[1][1]) / 2, atol=1e-9)


def test_running_averages_weigh_later_steps_by_the_momentum():
    model = _build(stats_momentum=0.2)
    batches = [torch.rand(64) for _ in range(4)]
    want = torch.zeros(64)
    for t, b in enumerate(batches):
        weight = max(0.2, 1 / (t + 1))  # 1, 0.5, 0.33, then 0.2
        want = (1 - weight) * want + weight * b
        fmap = b.sqrt().view(1, 64, 1, 1) * torch.tensor([-1., 1.]).view(
            2, 1, 1, 1)  # pooled variance across the two images: b
        model.update_statistics(fmap, torch.ones_like(fmap))
    assert torch.allclose(model.running_variance, want, atol=1e-6)


def test_selection_by_hand():
    variance = torch.tensor([5., 1., 4., 2., 3., .5, 6., 7.])
    importance = torch.tensor([.1, 9., 8., .2, 7., 6., 5., .3])
    # lowest half by variance: 5, 1, 3, 4; lowest 3 by importance: 0, 3, 7
    union = select_channels(variance, importance, 0.5, 0.375, 'union')
    assert union.nonzero()[:, 0].tolist() == [0, 1, 3, 4, 5, 7]
    both = select_channels(variance, importance, 0.5, 0.375, 'intersection')
    assert both.nonzero()[:, 0].tolist() == [3]
    assert not select_channels(variance, importance, 0, 0).any()
    assert select_channels(variance, importance, 1, 0).all()
    # ties: the lower channel index first
    ties = select_channels(torch.ones(8), torch.ones(8), 0.25, 0)
    assert ties.nonzero()[:, 0].tolist() == [0, 1]


def test_model_selects_from_its_running_statistics():
    model = _build(
        low_variance_fraction=0.125,
        low_importance_fraction=0.25,
        combine='intersection')
    with torch.no_grad():
        model.running_variance.copy_(torch.arange(64.))  # 0..7 lowest
        model.running_importance.copy_(torch.arange(64.).flip(0))
    assert not model.non_discriminative_channels().any()  # disjoint
    model.combine = 'union'
    want = list(range(8)) + list(range(48, 64))
    assert model.non_discriminative_channels().nonzero()[:, 0].tolist() == (
        want)


# -------------------------------------------------------- perturbation ----
def test_derangement_is_a_permutation_without_fixed_points():
    gen = torch.Generator().manual_seed(0)
    for n in range(2, 8):
        for _ in range(20):
            perm = derangement(n, gen)
            assert sorted(perm.tolist()) == list(range(n))
            assert (perm != torch.arange(n)).all()
    with pytest.raises(ValueError, match="perturb='swap' needs at least 2"):
        derangement(1)


@pytest.mark.parametrize('shape', [(5, 6), (5, 6, 3, 2)])
def test_swap_gives_exactly_the_chosen_channels_another_images_values(shape):
    x = torch.randn(*shape)
    mask = torch.tensor([True, False, False, True, True, False])
    out = perturb_features(
        x, mask, 'swap', generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[:, ~mask], x[:, ~mask])
    for i in range(5):  # the chosen slice is another image's, entire
        sources = [
            j for j in range(5) if torch.equal(out[i, mask], x[j, mask])
        ]
        assert len(sources) == 1 and sources[0] != i
    assert (out[:, mask] != x[:, mask]).all()


@pytest.mark.parametrize('shape', [(4000, 3), (4000, 3, 2, 2)])
def test_noise_shifts_exactly_the_chosen_channels_by_their_std(shape):
    x = torch.randn(*shape)
    mask = torch.tensor([True, False, True])
    std = torch.tensor([0.5, 3.0, 2.0])
    out = perturb_features(
        x,
        mask,
        'noise',
        std,
        noise_std=1.5,
        generator=torch.Generator().manual_seed(0))
    shift = out - x
    assert (shift[:, 1] == 0).all()
    if len(shape) == 4:  # one draw per image and channel, at every position
        assert torch.allclose(
            shift, shift[:, :, :1, :1].expand_as(shift), atol=1e-5)
        shift = shift[:, :, 0, 0]
    assert shift[:, 0].std().item() == pytest.approx(0.75, rel=0.05)
    assert shift[:, 2].std().item() == pytest.approx(3.0, rel=0.05)
    assert abs(shift[:, 0].mean().item()) < 0.05


@pytest.mark.parametrize('decode_from', ['map', 'vector'])
@pytest.mark.parametrize('perturb', ['swap', 'noise'])
def test_the_model_decodes_its_feature_and_a_perturbed_copy(
        decode_from, perturb, monkeypatch):
    """The decoder sees the (pooled) feature, then a copy that differs from
    it in exactly the channels the running statistics select."""
    model = _build(decode_from=decode_from, perturb=perturb)
    steps = _spy(model, 'ssl_step')
    perms = []

    def recorded(*args):
        perms.append(derangement(*args))
        return perms[-1]

    monkeypatch.setattr(synthpairs, 'derangement', recorded)
    seen = []
    model.decoder.register_forward_hook(
        lambda m, args, out: seen.append(args[0].detach()))
    model(_inputs(model), None, mode='loss')
    fmap = steps[0][1].feature_map.detach()
    feature = fmap if decode_from == 'map' else fmap.mean(dim=(2, 3))
    assert len(seen) == 2 and torch.equal(seen[0], feature)
    mask = model.non_discriminative_channels()
    assert 16 <= int(mask.sum()) <= 32  # 16 by each criterion
    assert torch.equal(seen[1][:, ~mask], feature[:, ~mask])
    if perturb == 'swap':
        perm = perms[0]
        assert (perm != torch.arange(4)).all()
        assert torch.equal(seen[1][:, mask], feature[perm][:, mask])
    else:  # every chosen channel that varies at all is shifted
        live = mask & (model.running_variance > 0)
        assert live.sum() > 0
        assert (seen[1][:, live] != feature[:, live]).all()


# -------------------------------------------------------------- decoder ----
def test_decoder_reconstruction_improves_on_fixed_images():
    model = _build(recon_to_encoder=False)
    inputs = _inputs(model, n=8)
    optimizer = torch.optim.Adam(model.decoder.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        loss = model(inputs, None, mode='loss')['loss_recon']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0]
    # L_R compares with the view resized to the decoder's 24 px
    model.eval()
    with torch.no_grad():
        decoded = model.decoder(model.backbone(inputs[0])[-1])
        target = F.interpolate(
            inputs[0], size=(24, 24), mode='bilinear', antialias=True)
    assert F.mse_loss(decoded, target).item() < losses[0]
    with pytest.raises(ValueError, match='out_size=22'):
        MODELS.build(dict(_DECODER, out_size=22))


# ------------------------------------------------------------ gradients ----
@pytest.mark.parametrize('recon_to_encoder', [True, False])
def test_reconstruction_reaches_the_encoder_only_if_switched_on(
        recon_to_encoder):
    model = _build(recon_to_encoder=recon_to_encoder)
    model(_inputs(model), None, mode='loss')['loss_recon'].backward()
    assert model.decoder.to_image.weight.grad.abs().sum() > 0
    grad = model.backbone.layer4[1].conv2.weight.grad
    assert (grad is not None and grad.abs().sum() > 0) == recon_to_encoder
    assert model.neck.mlp[0].weight.grad is None  # L_R never uses the neck


def test_pair_loss_trains_the_encoder_not_the_decoder():
    model = _build()
    losses = model(_inputs(model), None, mode='loss')
    assert set(losses) == {'loss', 'loss_recon', 'loss_pair'}
    losses['loss_pair'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.neck.mlp[0].weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.decoder.parameters())
    assert all(p.grad is None for p in model.encoder_k.parameters())


def test_pair_loss_starts_after_the_warmup(monkeypatch):
    model = _build(pair_warmup_epochs=2, nu=0.5)
    hub = MessageHub.get_current_instance()
    for epoch, active in ((0, False), (1, False), (2, True), (5, True)):
        hub.update_info('epoch', epoch)
        contrasts = _spy(model, 'pair_contrast')
        loss = model(_inputs(model), None, mode='loss')['loss_pair']
        assert bool(contrasts) == active
        assert loss.requires_grad == active
        assert bool(loss > 0) == active
        if active:  # nu * L_Cp
            assert torch.allclose(loss, 0.5 * contrasts[0][1])
    monkeypatch.setattr(hub, '_runtime_info', {})
    with pytest.raises(RuntimeError, match="'epoch'"):
        model(_inputs(model), None, mode='loss')


def test_pairs_use_the_queue_of_real_keys_unless_switched():
    for enqueue, advance in ((False, 4), (True, 8)):
        model = _build(enqueue_pair_keys=enqueue)
        model(_inputs(model), None, mode='loss')
        assert int(model.queue_ptr) == advance


def test_decoded_images_leave_bn_running_statistics_alone():
    """With pair_bn_stats=False a step with pairs leaves the backbone's BN
    statistics as a step without them (only the real view updates them)."""
    stats = {}
    for name, options in (('off', dict(pair_warmup_epochs=1)),
                          ('frozen', dict()), ('updated',
                                               dict(pair_bn_stats=True))):
        model = _build(**options)
        torch.manual_seed(0)
        model(_inputs(model), None, mode='loss')
        stats[name] = {
            k: v.clone()
            for k, v in model.backbone.state_dict().items()
            if 'running' in k or 'num_batches' in k
        }
    for key, value in stats['off'].items():
        assert torch.equal(value, stats['frozen'][key]), key
    assert not torch.equal(stats['off']['bn1.running_mean'],
                           stats['updated']['bn1.running_mean'])


def test_checkpointed_pair_pass_gives_the_same_loss_and_gradients():
    grads, stats = {}, {}
    for ckpt in (False, True):
        model = _build(pair_checkpoint=ckpt)
        torch.manual_seed(0)
        losses = model(_inputs(model), None, mode='loss')
        stats[ckpt] = model.backbone.layer2[0].bn1.running_mean.clone()
        losses['loss_pair'].backward()
        grads[ckpt] = [p.grad.clone() for p in model.backbone.parameters()]
        assert torch.equal(model.backbone.layer2[0].bn1.running_mean,
                           stats[ckpt])  # the recompute froze BN too
    assert torch.equal(stats[False], stats[True])
    for a, b in zip(grads[False], grads[True]):
        assert torch.allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match='pair_bn_stats=False'):
        _build(pair_checkpoint=True, pair_bn_stats=True)
    with pytest.raises(TypeError, match='not an mmpretrain ResNet'):
        MODELS.build(
            dict(
                copy.deepcopy(SMALL_SYNTH),
                pair_checkpoint=True,
                backbone=dict(
                    type='VisionTransformer',
                    arch=dict(
                        embed_dims=64,
                        num_layers=1,
                        num_heads=2,
                        feedforward_channels=64),
                    img_size=48,
                    patch_size=8)))


def test_frozen_bn_statistics_normalise_with_the_batch():
    bn = torch.nn.BatchNorm2d(3).train()
    x = torch.randn(4, 3, 5, 5) * 3 + 1
    want = F.batch_norm(x, None, None, bn.weight, bn.bias, training=True)
    with frozen_bn_statistics(bn):
        assert torch.allclose(bn(x), want, atol=1e-6)
    assert torch.equal(bn.running_mean, torch.zeros(3))
    assert int(bn.num_batches_tracked) == 0 and bn.momentum == 0.1
    bn(x)
    assert not torch.equal(bn.running_mean, torch.zeros(3))


# ------------------------------------------------------- test and draw ----
def test_test_feature_is_the_plain_pooled_backbone_feature():
    model = _build().eval()
    x = torch.randn(5, 3, 48, 48)
    with torch.no_grad():
        together = model.extract_test_feature(x)
        alone = torch.cat(
            [model.extract_test_feature(x[i:i + 1]) for i in range(5)])
        want = model.backbone(x)[-1].mean(dim=(2, 3))
    assert torch.allclose(together, want) and torch.allclose(
        together, alone, atol=1e-6)


def test_visual_maps_decode_two_draws_and_show_the_chosen_channels():
    model = _build()
    model(_inputs(model, n=8), None, mode='loss')  # statistics
    model.eval()
    images = torch.randint(0, 256, (8, 3, 48, 48), dtype=torch.uint8)
    decoding, draw1, draw2, dims = model.visual_maps(images)
    for m in (decoding, draw1, draw2):
        assert m.kind == 'image' and m.values.shape == (8, 3, 24, 24)
        assert m.values.dtype == torch.uint8
    assert not torch.equal(draw1.values, decoding.values)
    assert not torch.equal(draw1.values, draw2.values)
    mask = model.non_discriminative_channels()
    assert dims.kind == 'channels' and torch.equal(dims.values[2], mask)
    assert f'{int(mask.sum())} of 64 channels' in dims.title
    with torch.no_grad():  # the decoding, back in BGR pixels
        want = model.decoder(
            model.backbone(model.preprocess_images(images))[-1])
    pixels = want * 127.5 + 127.5  # mean = std = 127.5, RGB -> BGR
    assert torch.equal(decoding.values,
                       pixels.flip(1).clamp(0, 255).round().byte())
    # the grid: channel c is cell (c // 8, c % 8), red when chosen
    tile = channel_grid(np.zeros((16, 16, 3), np.uint8), mask)
    red = (tile[1::2, 1::2] == [220, 40, 40]).all(-1)
    assert np.array_equal(red.reshape(-1), mask.numpy())


def test_bad_switches_are_named():
    for key, value in (('combine', 'both'), ('perturb',
                                             'drop'), ('decode_from', 'pool'),
                       ('recon_loss', 'ssim'), ('pair_query', 'key')):
        with pytest.raises(ValueError, match=f"{key}='{value}'"):
            _build(**{key: value})
    with pytest.raises(ValueError, match='low_variance_fraction=1.5'):
        _build(low_variance_fraction=1.5)
    with pytest.raises(ValueError, match='decode_from'):
        _build(decoder=dict(_DECODER, from_vector=True))


# -------------------------------------------------------------- SimSiam ----
def test_fgsimsiam_loss_equals_mmpretrain_simsiam():
    torch.manual_seed(0)
    ours = MODELS.build(copy.deepcopy(SMALL_SIMSIAM))
    cfg = copy.deepcopy(SMALL_SIMSIAM)
    cfg.pop('type')
    theirs = SimSiam(**cfg)
    theirs.load_state_dict(ours.state_dict())
    inputs = _inputs(ours)
    assert torch.allclose(
        ours(inputs, None, mode='loss')['loss'],
        theirs(inputs, None, mode='loss')['loss'])


def test_synthpairs_on_simsiam_contrasts_the_pair_with_simsiams_loss():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            copy.deepcopy(SMALL_SIMSIAM),
            type='SynthPairsSimSiam',
            decoder=_DECODER))
    contrasts = _spy(model, 'pair_contrast')
    losses = model(_inputs(model), None, mode='loss')
    (perturbed, original), loss_pair = contrasts[0]
    z = [model.embed(x)[1] for x in (perturbed, original)]
    assert torch.allclose(loss_pair, model.similarity_loss(*z), atol=1e-6)
    assert perturbed.shape == (4, 3, 24, 24)
    losses['loss_pair'].backward()
    assert model.head.predictor.fc0.weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.running_importance.max() > 0


# ----------------------------------------------------------- end to end ----
_RESUME = [
    *TINY, 'train_cfg.max_epochs=3', 'train_cfg.val_interval=3',
    'default_hooks.checkpoint.interval=1', 'model.pair_warmup_epochs=1'
]


@pytest.fixture(scope='module')
def trained(tiny_synthetic, tool, repo_root):
    """Three epochs of synthpairs_synthetic, L_Cp from the second."""
    work_dir = tiny_synthetic / 'work_dirs' / 'synthpairs'
    out = assert_ok(
        tool([
            'train.py', f'{repo_root}/configs/synthpairs_synthetic.py',
            '--work-dir',
            str(work_dir), '--cfg-options', *_RESUME
        ],
             cwd=tiny_synthetic))
    return work_dir, out


def test_synthpairs_synthetic_trains_tests_draws_probes_and_segments(
        trained, tiny_synthetic, tool, repo_root):
    work_dir, out = trained
    logged = re.findall(
        r'Epoch\(train\) \[(\d)\].*loss: [\d.]+\s+loss_recon: [\d.]+\s+'
        r'loss_pair: ([\d.]+)', out)
    assert {e for e, p in logged if float(p) == 0} == {'1'}  # warm-up
    assert {e for e, p in logged if float(p) > 0} == {'2', '3'}
    assert 'retrieval/mAP' in out
    config = f'{repo_root}/configs/synthpairs_synthetic.py'
    ckpt = str(work_dir / 'epoch_3.pth')
    evaluate(tool, tiny_synthetic, config, ckpt)
    out = visualize(tool, tiny_synthetic, config, ckpt,
                    tiny_synthetic / 'synthpairs.png', 3)
    assert re.search(
        r'columns: input, decoding, perturbed decoding \(draw 1\), perturbed'
        r' decoding \(draw 2\), perturbed dimensions \(red: \d+ of 256 '
        r'channels\), ground-truth parts', out)
    ssl = train_linear_probe(
        tool,
        tiny_synthetic,
        'synthetic',
        ckpt,
        tiny_synthetic / 'work_dirs' / 'synthpairs_linear',
        # the whole algorithm, frozen
        [
            'backbone.layer4.1.conv2.weight', 'decoder.to_image.weight',
            'running_importance'
        ])
    # part segmentation loads the checkpoint's backbone. weights strictly
    cfg = Config.fromfile(f'{repo_root}/configs/partseg/synthetic_finetune.py')
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    with DefaultScope.overwrite_default_scope('mmseg'):
        segmenter = SEG_MODELS.build(cfg.model)
    segmenter.init_weights()
    for key, value in segmenter.backbone.state_dict().items():
        assert torch.equal(value, ssl['backbone.' + key]), key


def test_resume_restores_the_running_statistics_bit_exactly(
        trained, tiny_synthetic, tool, repo_root):
    full, _ = trained
    base = f'{repo_root}/configs/synthpairs_synthetic.py'
    killed = tiny_synthetic / 'work_dirs' / 'synthpairs_killed'
    train_killed_after(tool, tiny_synthetic, base, killed, _RESUME, epoch=2)
    train_resumed(tool, tiny_synthetic, base, killed, _RESUME, epoch=2)
    at_kill = safe_torch_load(str(killed / 'epoch_2.pth'))['state_dict']
    assert int(at_kill['stats_updates']) == 6  # 3 steps per epoch
    a, _ = assert_same_weights(full / 'epoch_3.pth', killed / 'epoch_3.pth')
    assert int(a['stats_updates']) == 9
    assert not torch.equal(a['running_variance'], at_kill['running_variance'])


STATS_HOOK = '''
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class DumpStatisticsHook(Hook):
    """Each process saves its running statistics after training."""

    def __init__(self, out):
        self.out = out

    def after_train(self, runner):
        model = runner.model
        model = model.module if is_model_wrapper(model) else model
        torch.save(
            dict(variance=model.running_variance.clone(),
                 importance=model.running_importance.clone(),
                 updates=model.stats_updates.clone()),
            f'{self.out}/stats_rank{get_rank()}.pth')
'''


def test_two_processes_keep_identical_statistics(tiny_synthetic, tool,
                                                 repo_root):
    folder = tiny_synthetic / 'dist_synthpairs'
    folder.mkdir()
    (folder / 'stats_hook.py').write_text(STATS_HOOK)
    config = folder / 'synthpairs_stats.py'
    config.write_text(
        f"_base_ = '{repo_root}/configs/synthpairs_synthetic.py'\n"
        "custom_imports = dict(imports=['mmfgssl', 'stats_hook'])\n"
        "custom_hooks = [dict(type='IterationSeedHook'), "
        f"dict(type='DumpStatisticsHook', out='{folder}')]\n")
    out = train_two_processes(
        tool,
        tiny_synthetic,
        config,
        folder / 'work', [
            'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
            'model.pair_warmup_epochs=0'
        ],
        env={'PYTHONPATH': f'{repo_root}:{folder}'})
    assert re.search(r'Epoch\(train\) \[1\]\[3/3\].*loss_pair: [\d.]+', out)
    ranks = [
        safe_torch_load(str(folder / f'stats_rank{r}.pth')) for r in (0, 1)
    ]
    assert int(ranks[0]['updates']) == int(ranks[1]['updates']) == 3
    for key in ('variance', 'importance'):
        assert ranks[0][key].abs().sum() > 0
        assert torch.equal(ranks[0][key], ranks[1][key]), key


def test_synthpairs_simsiam_synthetic_trains(tiny_synthetic, tool, repo_root):
    out = assert_ok(
        tool([
            'train.py', f'{repo_root}/configs/synthpairs_simsiam_synthetic.py',
            '--work-dir',
            str(tiny_synthetic / 'work_dirs' / 'synthpairs_simsiam'),
            '--cfg-options', *TINY, 'train_cfg.max_epochs=1',
            'train_cfg.val_interval=1', 'model.pair_warmup_epochs=0'
        ],
             cwd=tiny_synthetic))
    assert re.search(
        r'loss: -?[\d.]+\s+loss_recon: [\d.]+\s+loss_pair: -?[\d.]+', out)
    assert 'retrieval/mAP' in out
