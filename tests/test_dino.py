"""DINO and PARTICLE-ViT: the DINO loss by hand and against an independent
step, the teacher-temperature schedule, the frozen last layer and per-tensor
clipping of DINOGradientHook, part pooling over patch tokens, the part loss
and the discovery against independent computations, the official DINO ViT
key converter, and the tools end to end (rounds and resume, two processes,
test / visualize / both linear probes, few-shot part segmentation)."""
import copy
import math
import re
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from mmseg.registry import MODELS as SEG_MODELS

import mmfgssl  # noqa: F401
import mmfgssl.models.selfsup.particle_vit as particle_vit_module
from conftest import (LN_MLP, TINY, assert_ok, assert_same_weights, evaluate,
                      load_converted, train_killed_after, train_linear_probe,
                      train_resumed, train_two_processes, visualize)
from mmfgssl.compat import safe_torch_load
from mmfgssl.engine import DINOGradientHook
from mmfgssl.models import SelfSupFeature
from mmfgssl.models.selfsup.detcon import detcon_b_loss, embed_parts
from mmfgssl.models.selfsup.dino import (dino_loss, teacher_temperature,
                                         updated_center)
from mmfgssl.models.selfsup.particle_vit import patch_token_map
from mmfgssl.models.utils import batched_kmeans

TINY_VIT = dict(
    type='VisionTransformer',
    arch=dict(
        embed_dims=32, num_layers=2, num_heads=4, feedforward_channels=64),
    img_size=32,
    patch_size=8,  # a 4x4 token grid
    out_type='raw')
SMALL_DINO = dict(
    type='DINO',
    backbone=dict(TINY_VIT, out_type='cls_token'),
    head=dict(
        type='DINOHead',
        in_channels=32,
        hid_channels=48,
        bottleneck_channels=16,
        out_channels=64,
        norm_last_layer=False),
    teacher_temperature_warmup_epochs=4,
    freeze_last_layer=0,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[127.5] * 3,
        std=[127.5] * 3,
        to_rgb=True))
SMALL_PARTICLE_VIT = dict(
    SMALL_DINO,
    type='PARTICLEViT',
    backbone=TINY_VIT,
    neck=dict(LN_MLP, in_channels=32, hid_channels=48, out_channels=16),
    predictor=dict(LN_MLP, in_channels=16, hid_channels=48, out_channels=16),
    num_parts=4,
    num_samples=3,
    discovery_size=32)


@pytest.fixture(autouse=True)
def hub():
    """Cosine momentum schedules read the run length, the DINO loss the
    epoch from the message hub; the epoch is removed afterwards."""
    hub = MessageHub.get_current_instance()
    hub.update_info('max_iters', 100)
    hub.update_info('epoch', 0)
    yield hub
    hub.runtime_info.pop('epoch', None)


def _build(cfg, seed=0, **options):
    torch.manual_seed(seed)
    return MODELS.build(dict(copy.deepcopy(cfg), **options))


def _views(n=3, sizes=(32, 32), seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, 3, s, s, generator=g) for s in sizes]


def _move_teacher(model, scale=0.05):
    """Copy the student into the teacher (the first EMA update), then move
    the teacher off it, so that teacher and student differ."""
    model.teacher.update_parameters(model.student())
    with torch.no_grad():
        for p in model.teacher.parameters():
            p.add_(torch.randn_like(p) * scale)


# ------------------------------------------------------------- DINO loss ----
def test_dino_loss_by_hand():
    """Two global crops and one local crop of one image, 3 prototypes."""
    teacher = [torch.tensor([[1., 0., 0.]]), torch.tensor([[0., 2., 0.]])]
    student = [
        torch.tensor([[0.2, 0.1, 0.]]),
        torch.tensor([[0., 0.3, 0.1]]),
        torch.tensor([[0.1, 0., 0.4]])
    ]
    center = torch.tensor([[0.5, 0.5, 0.]])
    tt, ts = 0.5, 0.1

    def softmax(row, t):
        e = [math.exp(x / t) for x in row]
        return [x / sum(e) for x in e]

    want, pairs = 0., 0
    for i, t in enumerate(teacher):
        q = softmax([a - c for a, c in zip(t[0].tolist(), center[0])], tt)
        for v, s in enumerate(student):
            if v == i:  # the same crop is never a pair
                continue
            p = softmax(s[0].tolist(), ts)
            want += -sum(a * math.log(b) for a, b in zip(q, p))
            pairs += 1
    assert pairs == 4
    got = dino_loss(student, teacher, center, ts, tt)
    assert got.item() == pytest.approx(want / pairs, rel=1e-6)
    # the centre: 0.9 c + 0.1 * the mean teacher output of both crops
    new = updated_center(center, teacher, 0.9)
    want_center = [
        0.9 * c + 0.1 * (a + b) / 2 for c, a, b in zip(
            center[0].tolist(), teacher[0][0].tolist(), teacher[1][0].tolist())
    ]
    assert new[0].tolist() == pytest.approx(want_center)


def test_teacher_temperature_follows_dinos_schedule():
    # DINO's DINOLoss.teacher_temp_schedule, indexed by epoch
    schedule = np.concatenate((np.linspace(0.04, 0.07,
                                           20), np.ones(80) * 0.07))
    got = [teacher_temperature(e, 0.04, 0.07, 20) for e in range(100)]
    assert got == pytest.approx(schedule.tolist())
    assert teacher_temperature(0, 0.04, 0.07, 1) == 0.04
    assert teacher_temperature(0, 0.04, 0.07, 0) == 0.07


def test_dino_step_against_an_independent_computation(hub):
    """Teacher after this step's EMA update on the global crops, the student
    on all crops (a local crop of another size included), each view in its
    own pass; the temperature of the hub's epoch; the centre update."""
    model = _build(SMALL_DINO)
    _move_teacher(model)
    with torch.no_grad():
        model.center.normal_()
    center = model.center.clone()
    views = _views(n=4, sizes=(32, 32, 16))
    hub.update_info('epoch', 2)
    loss = model(views, None, mode='loss')['loss']
    teacher = model.teacher.module
    with torch.no_grad():
        t = [teacher['head'](teacher['backbone'](v)[-1]) for v in views[:2]]
        s = [model.head(model.backbone(v)[-1]) for v in views]
    temperature = np.linspace(0.04, 0.07, 4)[2]
    terms = []
    for i in range(2):
        q = torch.exp((t[i] - center) / temperature)
        q = q / q.sum(1, keepdim=True)
        for v in range(3):
            if v != i:
                log_p = s[v] / 0.1 - torch.logsumexp(s[v] / 0.1, 1, True)
                terms.append(-(q * log_p).sum(1).mean())
    assert torch.allclose(loss, sum(terms) / 4, atol=1e-5)
    want_center = 0.9 * center + 0.1 * torch.cat(t).mean(0, keepdim=True)
    assert torch.allclose(model.center, want_center, atol=1e-6)
    # the teacher got no gradient and runs without drop path (eval mode)
    loss.backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.backbone.layers[0].attn.qkv.weight.grad.abs().sum() > 0
    assert not model.train().teacher.training


def test_head_is_mlp_to_normalised_bottleneck_then_weight_norm():
    head = MODELS.build(SMALL_DINO['head'])
    x = torch.randn(5, 32)
    bottleneck = F.normalize(head.mlp(x), dim=-1)
    last = head.last_layer
    weight = torch._weight_norm(last.weight_v, last.weight_g, 0)
    assert torch.allclose(head(x), bottleneck @ weight.t(), atol=1e-6)
    assert [type(m).__name__ for m in head.mlp
            ] == ['Linear', 'GELU', 'Linear', 'GELU', 'Linear']
    assert last.weight_g.requires_grad
    fixed = MODELS.build(dict(SMALL_DINO['head'], norm_last_layer=True))
    assert not fixed.last_layer.weight_g.requires_grad
    assert torch.equal(fixed.last_layer.weight_g, torch.ones(64, 1))


def test_teacher_starts_as_the_initialised_student():
    model = _build(SMALL_DINO)
    model.init_weights()
    student = model.student().state_dict()
    for key, value in model.teacher.module.state_dict().items():
        assert torch.equal(value, student[key]), key
    assert model.extract_test_feature(_views()[0]).shape == (3, 32)


# --------------------------------------------------- DINOGradientHook ----
def _runner(model, optimizer):
    return SimpleNamespace(
        model=model,
        optim_wrapper=build_optim_wrapper(
            model, dict(type='OptimWrapper', optimizer=optimizer)),
        epoch=0)


def test_last_layer_gets_no_update_nor_decay_in_the_first_epoch(hub):
    model = _build(SMALL_DINO, freeze_last_layer=1)
    views = _views()
    with pytest.raises(RuntimeError, match='DINOGradientHook'):
        model(views, None, mode='loss')  # nothing would freeze it
    runner = _runner(model, dict(type='AdamW', lr=1e-2, weight_decay=0.4))
    hook = DINOGradientHook(clip_per_tensor=None)
    hook.before_train(runner)
    last = dict(model.head.last_layer.named_parameters())
    start = {k: p.detach().clone() for k, p in last.items()}
    mlp_start = model.head.mlp[0].weight.detach().clone()
    for _ in range(2):
        runner.optim_wrapper.update_params(
            model(views, None, mode='loss')['loss'])
    for key, p in last.items():
        assert torch.equal(p, start[key]), key
        assert not runner.optim_wrapper.optimizer.state[p]  # no moments
    assert not torch.allclose(model.head.mlp[0].weight, mlp_start)
    runner.epoch = 1
    hub.update_info('epoch', 1)
    runner.optim_wrapper.update_params(model(views, None, mode='loss')['loss'])
    for key, p in last.items():
        assert not torch.allclose(p, start[key]), key
    hook.after_train(runner)
    assert not runner.optim_wrapper.optimizer._optimizer_step_pre_hooks


def test_gradients_are_clipped_per_tensor_on_the_student_only():
    """DINO's clip_gradients: each student tensor's gradient scaled to norm
    3 if larger; PARTICLE-ViT's predictor is not clipped."""
    model = _build(SMALL_PARTICLE_VIT)
    runner = _runner(model, dict(type='SGD', lr=1., momentum=0.))
    DINOGradientHook(clip_per_tensor=3.0).before_train(runner)
    g = torch.Generator().manual_seed(0)
    before, grads = {}, {}
    for i, (name, p) in enumerate(model.named_parameters()):
        if p.requires_grad:
            grad = torch.randn(p.shape, generator=g)
            grads[name] = grad / grad.norm() * (10. if i % 2 else 1.)
            p.grad = grads[name].clone()
            before[name] = p.detach().clone()
    runner.optim_wrapper.optimizer.step()
    for name, p in model.named_parameters():
        if name not in grads:
            continue
        grad = grads[name]
        if not name.startswith('predictor.'):
            grad = grad * min(1., 3. / (grad.norm().item() + 1e-6))
        assert torch.allclose(before[name] - p.detach(), grad, atol=1e-5), \
            name
    assert any(g.norm() > 3 for n, g in grads.items()
               if n.startswith('predictor.'))


# ------------------------------------------------------- PARTICLE-ViT ----
class _Identity(torch.nn.Module):

    def forward(self, x):
        return x


def test_part_pooling_over_patch_tokens_against_brute_force():
    torch.manual_seed(0)
    tokens = torch.randn(2, 1 + 3 * 5, 6)  # class token + a 3x5 grid
    id_map = torch.randint(0, 4, (2, 3, 5))
    ids = torch.tensor([[0, 2, 3], [1, 3, 0]])
    pooled = embed_parts(_Identity(), patch_token_map(tokens, (3, 5)), id_map,
                         ids)
    for b in range(2):
        for s in range(3):
            cells = [(r, c) for r in range(3) for c in range(5)
                     if id_map[b, r, c] == ids[b, s]]
            want = torch.zeros(6)
            for r, c in cells:
                want += tokens[b, 1 + r * 5 + c]
            if cells:
                want /= len(cells)
            assert torch.allclose(pooled[b, s], want, atol=1e-5)


def _part_batch(model, n=3, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    views = [
        torch.randint(0, 256, (n, 3, size, size), generator=g).to(torch.uint8)
        for _ in range(2)
    ]
    samples = [DataSample() for _ in range(n)]
    for sample in samples:
        masks = torch.randint(0, 4, (2, size // 8, size // 8), generator=g)
        sample.set_field(
            masks.repeat_interleave(8, 1).repeat_interleave(8, 2).numpy(),
            'part_masks')
    return model.data_preprocessor(
        dict(inputs=views, data_samples=samples), True)


def test_part_loss_against_an_independent_computation(monkeypatch):
    """The part loss from separate student and teacher passes, parts pooled
    by brute force, the sampled ids captured from the step."""
    model = _build(SMALL_PARTICLE_VIT)
    _move_teacher(model)
    captured = []
    real = particle_vit_module.sample_parts

    def spy(*args, **kwargs):
        captured.append(real(*args, **kwargs))
        return captured[-1]

    monkeypatch.setattr(particle_vit_module, 'sample_parts', spy)
    data = _part_batch(model)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_dino', 'loss_part'}
    id_maps, ids, valid = captured[0]
    teacher = model.teacher.module

    def pooled(tokens, id_map, view_ids):
        out = torch.zeros(*view_ids.shape, tokens.shape[-1])
        for b in range(view_ids.shape[0]):
            for s, part in enumerate(view_ids[b].tolist()):
                cells = (id_map[b] == part).flatten().nonzero()[:, 0]
                if len(cells):
                    out[b, s] = tokens[b, 1 + cells].mean(0)
        return out

    with torch.no_grad():
        preds, targets = [], []
        for v, view in enumerate(data['inputs']):
            z = pooled(model.backbone(view)[-1], id_maps[v], ids[v])
            preds.append(
                model.predictor((model.neck(
                    (z.flatten(0, 1), ))[0], ))[0].view(3, 3, -1))
            z = pooled(teacher['backbone'](view)[-1], id_maps[v], ids[v])
            targets.append(teacher['neck']((z.flatten(0,
                                                      1), ))[0].view(3, 3, -1))
    want = detcon_b_loss(
        torch.stack(preds), torch.stack(targets), ids, ids, valid, valid, 0.1)
    assert torch.allclose(losses['loss_part'], want, atol=1e-5)
    losses['loss_part'].backward()
    for module in (model.backbone.layers[0].attn.qkv, model.neck.fc0,
                   model.predictor.fc0):
        assert module.weight.grad.abs().sum() > 0
    assert model.head.mlp[0].weight.grad is None  # the part loss skips it
    assert all(p.grad is None for p in model.teacher.parameters())
    assert 'neck' in model.teacher.module  # the projector is averaged


@pytest.mark.parametrize('features', ['key', 'tokens'])
def test_discovery_clusters_the_teachers_patch_features(features):
    model = _build(SMALL_PARTICLE_VIT, discovery_features=features)
    _move_teacher(model)
    rng = np.random.default_rng(0)
    images = [
        rng.integers(0, 256, (24 + 8 * i, 40, 3), np.uint8) for i in range(3)
    ]
    maps = model.discover_parts(images)
    assert [m.shape for m in maps] == [(4, 4)] * 3
    # independently: the teacher's last layer input, its norm and qkv
    batch = torch.stack([
        torch.from_numpy(
            cv2.resize(img, (32, 32),
                       interpolation=cv2.INTER_CUBIC)).permute(2, 0, 1)
        for img in images
    ])
    inputs = model.preprocess_images(batch)
    vit = model.teacher.module['backbone']
    layer_inputs = []
    handle = vit.layers[-1].register_forward_pre_hook(
        lambda m, args: layer_inputs.append(args[0]))
    with torch.no_grad():
        tokens = vit(inputs)[-1]
    handle.remove()
    layer = vit.layers[-1]
    if features == 'key':
        qkv = F.linear(
            layer.ln1(layer_inputs[0]), layer.attn.qkv.weight,
            layer.attn.qkv.bias)
        points = qkv[:, 1:, 32:64]
    else:
        points = tokens[:, 1:]
    labels = batched_kmeans(F.normalize(points, dim=-1), 4,
                            **model.kmeans).labels
    assert np.array_equal(np.stack(maps), labels.view(3, 4, 4).numpy())


# ------------------------------------------------------------ converter ----
def official_vit_class_token(state, images, num_heads, patch=8, eps=1e-6):
    """The official DINO ViT forward written out (pre-norm blocks, LayerNorm
    eps 1e-6, GELU MLP, qkv with bias, softmax(QK^T / sqrt(d))): the class
    token after the final norm."""
    x = F.conv2d(
        images,
        state['patch_embed.proj.weight'],
        state['patch_embed.proj.bias'],
        stride=patch)
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat([state['cls_token'].expand(len(x), -1, -1), x], 1)
    x = x + state['pos_embed']
    b, n, c = x.shape
    d = c // num_heads
    depth = 1 + max(int(k.split('.')[1]) for k in state if k[:7] == 'blocks.')

    def norm(x, name):
        return F.layer_norm(x, (c, ), state[name + '.weight'],
                            state[name + '.bias'], eps)

    def linear(x, name):
        return F.linear(x, state[name + '.weight'], state[name + '.bias'])

    for i in range(depth):
        qkv = linear(norm(x, f'blocks.{i}.norm1'), f'blocks.{i}.attn.qkv')
        q, k, v = qkv.view(b, n, 3, num_heads, d).permute(2, 0, 3, 1, 4)
        attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), -1)
        heads = (attention @ v).transpose(1, 2).reshape(b, n, c)
        x = x + linear(heads, f'blocks.{i}.attn.proj')
        hidden = F.gelu(
            linear(norm(x, f'blocks.{i}.norm2'), f'blocks.{i}.mlp.fc1'))
        x = x + linear(hidden, f'blocks.{i}.mlp.fc2')
    return norm(x, 'norm')[:, 0]


def _official_vit_s8_state(grid=8, depth=12, c=384, seed=0):
    """Random weights in the official DINO ViT-S/8 layout (a 64 px input:
    an 8x8 grid)."""
    g = torch.Generator().manual_seed(seed)

    def rand(*shape, std=0.05):
        return torch.randn(*shape, generator=g) * std

    state = {
        'cls_token': rand(1, 1, c, std=1.),
        'pos_embed': rand(1, 1 + grid * grid, c, std=0.5),
        'patch_embed.proj.weight': rand(c, 3, 8, 8),
        'patch_embed.proj.bias': rand(c),
        'norm.weight': 1 + rand(c),
        'norm.bias': rand(c),
    }
    for i in range(depth):
        for name, shape in (('norm1', (c, )), ('attn.qkv', (3 * c, c)),
                            ('attn.proj', (c, c)), ('norm2', (c, )),
                            ('mlp.fc1', (4 * c, c)), ('mlp.fc2', (c, 4 * c))):
            weight = rand(*shape)
            state[f'blocks.{i}.{name}.weight'] = (
                1 + weight if name.startswith('norm') else weight)
            state[f'blocks.{i}.{name}.bias'] = rand(shape[0])
    return state


def test_dino_vit_converter_gives_the_official_class_token(tmp_path):
    state = _official_vit_s8_state()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        want = official_vit_class_token(state, x, num_heads=6)
    head = {'head.mlp.0.weight': torch.zeros(2, 2)}
    layouts = {
        'backbone': state,  # dino_deitsmall8_pretrain.pth
        'teacher': {  # a training state: its teacher is taken
            'teacher': {
                **{
                    f'backbone.{k}': v
                    for k, v in state.items()
                },
                **head, 'backbone.projector.0.weight': torch.zeros(2, 2)
            },
            'student': {
                f'module.backbone.{k}': torch.zeros_like(v)
                for k, v in state.items()
            }
        },
        'student': {
            'student': {
                **{
                    f'module.backbone.{k}': v
                    for k, v in state.items()
                },
                **{
                    f'module.{k}': v
                    for k, v in head.items()
                }
            }
        },
    }
    vit_s8 = dict(
        type='VisionTransformer', arch='deit-small', img_size=64, patch_size=8)
    for name, layout in layouts.items():
        path = str(tmp_path / f'{name}.pth')
        torch.save(layout, path)
        ours = load_converted(vit_s8, path, 'dino_vit')
        ours.eval()
        with torch.no_grad():
            assert (ours(x)[-1] - want).abs().max() < 1e-5, name
    path = str(tmp_path / 'unknown.pth')
    torch.save(dict(state, **{'blocks.0.ls1.gamma': torch.ones(384)}), path)
    with pytest.raises(KeyError, match='blocks.0.ls1.gamma'):
        load_converted(vit_s8, path, 'dino_vit')


def test_configs_reject_what_they_cannot_train():
    with pytest.raises(ValueError, match="out_type='raw'"):
        _build(
            SMALL_PARTICLE_VIT, backbone=dict(TINY_VIT, out_type='cls_token'))
    with pytest.raises(ValueError, match='out_type in'):
        _build(SMALL_DINO, backbone=dict(TINY_VIT, out_type='featmap'))
    with pytest.raises(ValueError, match='discovery_features'):
        _build(SMALL_PARTICLE_VIT, discovery_features='value')
    model = _build(SMALL_PARTICLE_VIT)
    with pytest.raises(KeyError, match='part_masks'):
        model(_views(), [DataSample() for _ in range(3)], mode='loss')


# ----------------------------------------------------------- end to end ----
@pytest.fixture(scope='module')
def particle_vit_run(tiny_synthetic, tool, repo_root):
    """Two epochs of PARTICLE-ViT, parts discovered before each."""
    work = tiny_synthetic / 'work_dirs' / 'particle_vit_full'
    out = assert_ok(
        tool([
            'train.py', f'{repo_root}/configs/particle_vit_synthetic.py',
            '--work-dir',
            str(work), '--cfg-options', *TINY, *_ROUNDS
        ],
             cwd=tiny_synthetic))
    return work, out


_ROUNDS = [
    'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
    'model.epochs_per_round=1', 'default_hooks.checkpoint.interval=1'
]


def test_particle_vit_resume_across_a_discovery_round(particle_vit_run,
                                                      tiny_synthetic, tool,
                                                      repo_root):
    full, out = particle_vit_run
    rounds = re.findall(
        r'part maps of 24 images written to \S+round_(\d) '
        r'.*PARTICLEViT', out)
    assert rounds == ['0', '1']
    assert re.search(r'loss_dino: [\d.]+\s+loss_part: [\d.]+', out)
    base = f'{repo_root}/configs/particle_vit_synthetic.py'
    part = tiny_synthetic / 'work_dirs' / 'particle_vit_killed'
    train_killed_after(
        tool,
        tiny_synthetic,
        base,
        part, [*TINY, *_ROUNDS],
        epoch=1,
        custom_hooks=[
            dict(type='IterationSeedHook'),
            dict(type='PartMapHook'),
            dict(type='DINOGradientHook', clip_per_tensor=3.0)
        ])
    assert not (part / 'part_maps' / 'round_1').exists()
    train_resumed(tool, tiny_synthetic, base, part, [*TINY, *_ROUNDS], epoch=1)
    a, _ = assert_same_weights(full / 'epoch_2.pth', part / 'epoch_2.pth')
    assert 'center' in a


def test_particle_vit_checkpoint_tests_draws_and_probes(
        particle_vit_run, tiny_synthetic, tool, repo_root):
    full, _ = particle_vit_run
    ckpt = str(full / 'epoch_2.pth')
    config = f'{repo_root}/configs/particle_vit_synthetic.py'
    evaluate(tool, tiny_synthetic, config, ckpt)
    out = visualize(tool, tiny_synthetic, config, ckpt,
                    tiny_synthetic / 'particle_vit.png', 2)
    assert ('columns: input, teacher class-token attention (last layer), '
            'parts (PARTICLEViT.discover_parts), ground-truth parts') in out
    # LCR's protocol (SGD on the frozen feature) ...
    train_linear_probe(tool, tiny_synthetic, 'synthetic_dino', ckpt,
                       tiny_synthetic / 'work_dirs' / 'particle_vit_linear',
                       ['teacher.module.backbone.layers.3.attn.qkv.weight'])
    # ... and PARTICLE's (logistic regression), both on the teacher's class
    # token: 128-d, the teacher's and not the student's
    out = assert_ok(
        tool([
            'logistic_probe.py',
            f'{repo_root}/configs/linear_probe/particle_synthetic.py', ckpt,
            '--cfg-options', 'train_dataloader.num_workers=0',
            'test_dataloader.num_workers=0'
        ],
             cwd=tiny_synthetic))
    assert '24 training / 8 test images, 128-d features' in out
    feature = SelfSupFeature(checkpoint=ckpt, normalize=False)
    algorithm = feature.algorithm
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        teacher = algorithm.teacher.module['backbone'](x)[-1][:, 0]
        student = algorithm.backbone(x)[-1][:, 0]
        assert torch.equal(feature(x)[0], teacher)
    assert not torch.allclose(teacher, student)


def test_partseg_protocol_with_the_vit(particle_vit_run, tiny_synthetic, tool,
                                       repo_root):
    full, _ = particle_vit_run
    ckpt = str(full / 'epoch_2.pth')
    out = assert_ok(
        tool(
            [
                'partseg_protocol.py',
                f'{repo_root}/configs/partseg/synthetic_vit_finetune.py',
                ckpt,
                '--shots',
                '8',
                '--work-dir',
                str(tiny_synthetic / 'work_dirs' / 'partseg_vit'),
                '--cfg-options',
                'train_cfg.max_epochs=1',
                'default_hooks.checkpoint.interval=1',
                'train_dataloader.num_workers=0',
                'test_dataloader.num_workers=0',
                # the whole tiny test split (the config scores 200 of 640)
                'test_dataloader.dataset.num_shots=None'
            ],
            cwd=tiny_synthetic))
    rows = re.findall(r'\| (\d) \| epoch_1\.pth \| [\d.]+ \| [\d.]+ \|', out)
    assert rows == ['0', '1', '2', '3', '4']
    # the ViT holds the checkpoint's teacher, loaded strictly; frozen, it
    # trains nothing
    teacher = {
        k[len('teacher.module.backbone.'):]: v
        for k, v in safe_torch_load(ckpt)['state_dict'].items()
        if k.startswith('teacher.module.backbone.')
    }
    for name in ('finetune', 'frozen'):
        cfg = Config.fromfile(
            f'{repo_root}/configs/partseg/synthetic_vit_{name}.py')
        cfg.model.backbone.init_cfg.checkpoint = ckpt
        with DefaultScope.overwrite_default_scope('mmseg'):
            seg = SEG_MODELS.build(cfg.model)
        seg.init_weights()
        for key, value in seg.backbone.state_dict().items():
            assert torch.equal(value, teacher[key]), key
        trainable = [p for p in seg.backbone.parameters() if p.requires_grad]
        assert (name == 'frozen') == (not trainable)
        with torch.no_grad():
            assert seg(torch.randn(1, 3, 96, 96)).shape == (1, 8, 96, 96)


def test_dino_two_processes_keep_the_last_layer_for_one_epoch(
        tiny_synthetic, tool, repo_root):
    """DDP on two CPU processes: the head's last layer is the initial one
    after the first epoch and moves in the second; the rest moves in the
    first. A 0-epoch run saves the initialisation (teacher = student)."""
    config = f'{repo_root}/configs/dino_synthetic.py'
    init_dir, dist_dir = (
        tiny_synthetic / 'work_dirs' / n for n in ('dino_init', 'dino_dist'))
    assert_ok(
        tool([
            'train.py', config, '--work-dir',
            str(init_dir), '--cfg-options', *TINY, 'train_cfg.max_epochs=0'
        ],
             cwd=tiny_synthetic))
    out = train_two_processes(tool, tiny_synthetic, config, dist_dir, [
        'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=1'
    ])
    assert re.search(r'Epoch\(train\) \[2\]\[3/3\]', out)
    assert 'retrieval/mAP' in out
    states = [
        safe_torch_load(str(path))['state_dict']
        for path in (init_dir / 'epoch_0.pth', dist_dir / 'epoch_1.pth',
                     dist_dir / 'epoch_2.pth')
    ]
    init, first, second = states
    for key in init:
        if key.startswith('teacher.module.'):
            assert torch.equal(init[key], init[key[len('teacher.module.'):]])
    for key in ('head.last_layer.weight_v', 'head.last_layer.weight_g'):
        assert torch.equal(first[key], init[key]), key
        assert not torch.equal(second[key], first[key]), key
    for key in ('head.mlp.0.weight', 'backbone.layers.0.attn.qkv.weight'):
        assert not torch.equal(first[key], init[key]), key
