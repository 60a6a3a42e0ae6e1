"""MoCo v3 and LoDisc on a ViT: attention read from q and k, the pivotal-patch
rule, token dropping, the losses, the torchvision converter, and the tools
end to end."""
import copy
import math
import re

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmpretrain.models.selfsup import MoCoV3
from mmpretrain.registry import MODELS

import mmfgssl  # noqa: F401
from conftest import (TINY, assert_ok, assert_same_weights, evaluate,
                      load_converted, train, train_killed_after,
                      train_linear_probe, train_resumed, train_two_processes,
                      visualize)
from mmfgssl.models.selfsup.lodisc import pivotal_patches, zero_other_patches
from mmfgssl.models.selfsup.mocov3 import contrastive_loss, mocov3_loss
from mmfgssl.models.utils import (AttentionRecorder, RepeatedCosineEMA,
                                  fuse_attention, vit_class_token)

TINY_VIT = dict(
    type='VisionTransformer',
    arch=dict(
        embed_dims=32, num_layers=3, num_heads=4, feedforward_channels=64),
    img_size=32,
    patch_size=8,  # a 4x4 grid: 16 patches, int(0.3 * 16) = 4 kept
    out_type='cls_token')
_MLP = dict(
    type='DropoutNonLinearNeck',
    in_channels=32,
    hid_channels=64,
    out_channels=32,
    with_avg_pool=False,
    with_last_bn_affine=False,
    norm_cfg=dict(type='BN1d'),
    dropout=0.)
SMALL_LODISC = dict(
    type='LoDisc',
    backbone=TINY_VIT,
    neck=dict(_MLP, num_layers=3),
    predictor=_MLP,
    temperature=0.2,
    ema_updates_per_step=4,
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[127.5] * 3,
        std=[127.5] * 3,
        to_rgb=True))


@pytest.fixture(autouse=True)
def run_length():
    """Cosine momentum schedules read the run length from the hub."""
    MessageHub.get_current_instance().update_info('max_iters', 100)


def _views(n=4, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, 3, size, size, generator=g) for _ in range(2)]


def _vit(seed=0):
    torch.manual_seed(seed)
    vit = MODELS.build(TINY_VIT)
    vit.eval()  # (VisionTransformer.train returns None)
    with torch.no_grad():  # a non-trivial class token and position code
        vit.cls_token.normal_()
        vit.pos_embed.normal_()
    return vit


def explicit_attention(vit, images):
    """Each layer's head-averaged ``softmax(Q K^T / sqrt(d))`` ``(B, N, N)``,
    formed explicitly from the layer's input; checked against the layer's
    own output (``attention @ V`` per head, projected)."""
    inputs = []
    handles = [
        layer.attn.register_forward_hook(lambda m, args, out: inputs.append(
            (args[0], out))) for layer in vit.layers
    ]
    vit(images)
    for handle in handles:
        handle.remove()
    maps = []
    for layer, (x, out) in zip(vit.layers, inputs):
        b, n, c = x.shape
        heads = layer.attn.num_heads
        d = c // heads
        qkv = x @ layer.attn.qkv.weight.t() + layer.attn.qkv.bias

        def per_head(t):
            return t.reshape(b, n, heads, d).transpose(1, 2)

        q, k, v = (per_head(qkv[..., i * c:(i + 1) * c]) for i in range(3))
        attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), -1)
        rebuilt = layer.attn.proj(
            (attention @ v).transpose(1, 2).reshape(b, n, c))
        assert torch.allclose(rebuilt, out, atol=1e-5)
        maps.append(attention.mean(dim=1))
    return maps


def official_keep_mask(maps, ratio=0.3):
    """The LoDisc code's rule, loop by loop: the element-wise product of the
    layers' maps (each times 1000), row 0 without the class token; a patch
    is kept iff its score exceeds the sorted score at int(0.3 * N)."""
    product = torch.ones_like(maps[0], dtype=torch.float64)
    for attention in maps:
        product = product * attention.double() * 1000
    scores = product[:, 0, 1:]
    b, n = scores.shape
    mask = torch.zeros(b, n, dtype=torch.bool)
    for i in range(b):
        threshold = sorted(scores[i].tolist(), reverse=True)[int(n * 0.30)]
        for j in range(n):
            mask[i, j] = scores[i, j].item() > threshold
    return mask


def _kept_mask(kept, n):
    return torch.zeros(
        kept.shape[0], n, dtype=torch.bool).scatter_(1, kept, True)


# ------------------------------------------------------------ attention ----
def test_recorded_class_token_row_is_that_of_the_explicit_attention():
    vit = _vit()
    images = _views()[0]
    want = explicit_attention(vit, images)
    with torch.no_grad():
        plain = vit(images)[-1]
        with AttentionRecorder(vit) as rows:
            recorded = vit(images)[-1]
        with AttentionRecorder(vit, full_maps=True) as maps:
            vit(images)
    assert torch.equal(plain, recorded)  # recording changes nothing
    assert len(rows.records) == len(want) == 3
    for row, full, explicit in zip(rows.records, maps.records, want):
        assert row.shape == (4, 17)
        assert torch.allclose(row, explicit[:, 0], atol=1e-6)
        assert torch.allclose(full, explicit, atol=1e-6)
    assert not vit.layers[0].attn.qkv._forward_hooks  # hooks removed


def test_pivotal_patches_follow_the_official_rule_on_explicit_attention():
    vit = _vit(1)
    images = _views(n=6)[1]
    maps = explicit_attention(vit, images)
    scores = fuse_attention([m[:, 0] for m in maps], 'product')
    kept = pivotal_patches(scores, 0.3)
    assert kept.shape == (6, 4)
    assert torch.equal(_kept_mask(kept, 16), official_keep_mask(maps))
    # and through the recorder, as the model computes it
    with torch.no_grad(), AttentionRecorder(vit) as rows:
        vit(images)
    assert torch.equal(
        pivotal_patches(fuse_attention(rows.records), 0.3), kept)


def test_log_fusion_ranks_where_the_official_fp32_product_overflows():
    """24 layers (ViT-L) of rows x1000 overflow the code's fp32 product to
    inf, which ties the top patches; the sum of logs ranks as float64."""
    torch.manual_seed(0)
    n = 1 + 49
    rows = [torch.rand(2, n) * 1e-3 for _ in range(24)]
    for r in rows:
        r[:, 1:31] += 0.3 + 0.2 * torch.rand(2, 30)
    fp32_product = torch.ones(2, n)
    for r in rows:
        fp32_product = fp32_product * r * 1000
    assert torch.isinf(fp32_product).sum() >= 2 * 30
    float64_product = torch.stack([r.double() for r in rows]).prod(0)[:, 1:]
    want = float64_product.topk(int(0.3 * 49), dim=1).indices.sort(1).values
    assert torch.equal(pivotal_patches(fuse_attention(rows), 0.3), want)


def test_rollout_is_the_product_of_residual_attention_matrices():
    torch.manual_seed(0)
    maps = [torch.softmax(torch.randn(2, 5, 5), -1) for _ in range(3)]
    want = []
    for i in range(2):
        rollout = torch.eye(5)
        for a in maps:  # R = A3' A2' A1' with A' = (A + I) / 2
            rollout = torch.mm(0.5 * a[i] + 0.5 * torch.eye(5), rollout)
        want.append(rollout[0, 1:])
    got = fuse_attention(maps, 'rollout')
    assert torch.allclose(got, torch.stack(want), atol=1e-6)
    with pytest.raises(ValueError, match='full attention maps'):
        fuse_attention([m[:, 0] for m in maps], 'rollout')
    with pytest.raises(ValueError, match='attention_fusion'):
        fuse_attention(maps, 'max')


def test_dropped_tokens_equal_attention_that_ignores_them():
    """Dropping patch tokens before the layers is the same as keeping them
    but masking them out of every layer's keys (tokens interact only
    through attention)."""
    vit = _vit(2)
    images = _views(n=3)[0]
    kept = torch.tensor([[0, 5, 6, 15], [1, 2, 3, 4], [7, 8, 9, 12]])
    with torch.no_grad():
        assert torch.allclose(
            vit_class_token(vit, images), vit(images)[-1], atol=1e-6)
        got = vit_class_token(vit, images, kept)
        visible = torch.cat(
            [torch.ones(3, 1, dtype=torch.bool),
             _kept_mask(kept, 16)], 1)
        x, _ = vit.patch_embed(images)
        x = torch.cat([vit.cls_token.expand(3, -1, -1), x], 1) + vit.pos_embed
        for layer in vit.layers:
            h = layer.ln1(x)
            b, n, c = h.shape
            heads, d = layer.attn.num_heads, c // layer.attn.num_heads
            q, k, v = layer.attn.qkv(h).view(b, n, 3, heads,
                                             d).permute(2, 0, 3, 1, 4)
            logits = q @ k.transpose(-1, -2) / math.sqrt(d)
            logits = logits.masked_fill(~visible[:, None, None], -math.inf)
            out = (logits.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c)
            x = x + layer.attn.proj(out)
            x = layer.ffn(layer.ln2(x), identity=x)
        want = vit.ln1(x)[:, 0]
    assert torch.allclose(got, want, atol=1e-5)


def test_zero_mode_zeroes_the_pixels_of_the_other_patches():
    images = torch.rand(2, 3, 8, 12) + 1
    kept = torch.tensor([[0, 4], [5, 3]])  # 2x3 grid of 4x4 patches
    got = zero_other_patches(images, kept, (2, 3))
    for i in range(2):
        for p in range(6):
            r, c = divmod(p, 3)
            tile = got[i, :, 4 * r:4 * r + 4, 4 * c:4 * c + 4]
            if p in kept[i].tolist():
                assert torch.equal(
                    tile, images[i, :, 4 * r:4 * r + 4, 4 * c:4 * c + 4])
            else:
                assert (tile == 0).all()
    with pytest.raises(ValueError, match='do not tile'):
        zero_other_patches(images, kept, (3, 3))


# ---------------------------------------------------------------- losses ----
def test_contrastive_loss_by_hand():
    q = torch.tensor([[1., 0.], [0., 2.], [1., 1.]])
    k = torch.tensor([[2., 0.], [1., 1.], [0., 1.]])
    t = 0.2
    qn = [[x / math.hypot(*r) for x in r] for r in q.tolist()]
    kn = [[x / math.hypot(*r) for x in r] for r in k.tolist()]
    total = 0.
    for i in range(3):
        sims = [sum(a * b for a, b in zip(qn[i], kn[j])) / t for j in range(3)]
        total += -math.log(math.exp(sims[i]) / sum(map(math.exp, sims)))
    want = total / 3 * 2 * t
    assert contrastive_loss(q, k, t).item() == pytest.approx(want, rel=1e-6)
    assert mocov3_loss([q, k], [k, q], t).item() == pytest.approx(
        (contrastive_loss(q, q, t) + contrastive_loss(k, k, t)).item())


def test_fgmocov3_with_projector_equals_mmpretrain_mocov3():
    cfg = dict(
        copy.deepcopy(SMALL_LODISC),
        type='FGMoCoV3',
        use_projector=True,
        ema_updates_per_step=1)
    ours = MODELS.build(cfg)
    theirs = MoCoV3(
        backbone=TINY_VIT,
        neck=cfg['neck'],
        head=dict(
            type='MoCoV3Head',
            predictor=cfg['predictor'],
            loss=dict(type='CrossEntropyLoss', loss_weight=2 * 0.2),
            temperature=0.2),
        data_preprocessor=cfg['data_preprocessor'])
    theirs.load_state_dict({
        re.sub(r'^predictor\.', 'head.predictor.', k): v
        for k, v in ours.state_dict().items()
    })
    views = _views()
    for _ in range(2):  # the second step uses an updated momentum encoder
        a = ours(views, None, mode='loss')['loss']
        b = theirs(views, None, mode='loss')['loss']
        assert torch.allclose(a, b, atol=1e-6)


def test_lodisc_loss_against_an_independent_computation():
    """Keys, pivotal patches (the official rule on explicit attention),
    zeroed views, local keys and the four contrasts, all recomputed."""
    model = MODELS.build(copy.deepcopy(SMALL_LODISC))
    views = _views(n=6)
    model.momentum_encoder.update_parameters(model.online_encoder())
    with torch.no_grad():  # move the momentum encoder off the online one
        for p in model.momentum_encoder.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    torch.manual_seed(0)
    losses = model(views, None, mode='loss')
    momentum = copy.deepcopy(model.momentum_encoder.module)  # after update
    vit = momentum[0]
    with torch.no_grad():
        keys, local_keys = [], []
        for view in views:
            keys.append(momentum(view)[-1])
            mask = official_keep_mask(explicit_attention(vit, view))
            pixels = mask.view(-1, 1, 4,
                               4).repeat_interleave(8,
                                                    2).repeat_interleave(8, 3)
            local_keys.append(momentum(view * pixels)[-1])
    preds = [
        model.predictor((model.backbone(v)[-1], ))[0].detach() for v in views
    ]

    def ctr(q, k):
        logits = F.normalize(q, dim=1) @ F.normalize(k, dim=1).t() / 0.2
        return F.cross_entropy(logits, torch.arange(6)) * 0.4

    want_global = ctr(preds[0], keys[1]) + ctr(preds[1], keys[0])
    want_local = ctr(preds[0], local_keys[1]) + ctr(preds[1], local_keys[0])
    assert torch.allclose(losses['loss_global'], want_global, atol=1e-5)
    assert torch.allclose(losses['loss_local'], want_local, atol=1e-5)


def test_drop_and_zero_modes_select_the_same_patches():
    models = {  # with a projector, which the local keys pass through
        mode:
        MODELS.build(
            dict(
                copy.deepcopy(SMALL_LODISC),
                mask_mode=mode,
                use_projector=True))
        for mode in ('zero', 'drop')
    }
    models['drop'].load_state_dict(models['zero'].state_dict())
    calls = {}
    for mode, model in models.items():
        model.momentum_encoder.update_parameters(model.online_encoder())
        local_key = model.local_key
        calls[mode] = []

        def spy(images, kept, local_key=local_key, log=calls[mode]):
            key = local_key(images, kept)
            log.append((images, kept, key))
            return key

        model.local_key = spy
        torch.manual_seed(0)
        model(_views(n=5), None, mode='loss')
    for (img_z, kept_z, key_z), (img_d, kept_d,
                                 key_d) in zip(calls['zero'], calls['drop']):
        assert torch.equal(kept_z, kept_d)
        momentum = models['zero'].momentum_encoder.module
        with torch.no_grad():
            zeroed = zero_other_patches(img_z, kept_z, (4, 4))
            assert torch.allclose(key_z, momentum(zeroed)[-1], atol=1e-6)
            projected = momentum[1]((vit_class_token(momentum[0], img_d,
                                                     kept_d), ))[0]
        assert torch.allclose(key_d, projected, atol=1e-6)
        assert not torch.allclose(key_z, key_d, atol=1e-3)


def test_gradients_reach_the_online_encoder_and_predictor_only():
    model = MODELS.build(copy.deepcopy(SMALL_LODISC))
    assert not model.with_neck  # use_projector=False: none is built
    losses = model(_views(), None, mode='loss')
    assert set(losses) == {'loss_global', 'loss_local'}
    losses['loss_local'].backward()
    assert model.backbone.layers[0].attn.qkv.weight.grad.abs().sum() > 0
    assert model.backbone.patch_embed.projection.weight.grad.abs().sum() > 0
    assert model.predictor.fc0.weight.grad.abs().sum() > 0
    assert all(not p.requires_grad and p.grad is None
               for p in model.momentum_encoder.parameters())


def test_repeated_ema_is_k_updates_towards_the_same_weights():
    online = torch.nn.Linear(3, 2)
    ema = RepeatedCosineEMA(
        copy.deepcopy(online), momentum=0.3, updates_per_step=4)
    start = ema.module.weight.detach().clone()
    ema.update_parameters(online)  # first call copies
    assert torch.equal(ema.module.weight, online.weight)
    with torch.no_grad():
        ema.module.weight.copy_(start)
        online.weight.add_(1.)
    ema.update_parameters(online)  # steps = 1 of max_iters = 100
    m = 0.3 * (math.cos(math.pi / 100) + 1) / 2  # 1 - tau, annealed to 0
    want = start.clone()
    for _ in range(4):  # the LoDisc code: four updates per step
        want = want * (1 - m) + online.weight.detach() * m
    assert torch.allclose(ema.module.weight, want, atol=1e-6)


@pytest.mark.parametrize('method', ['FGMoCoV3', 'LoDisc'])
def test_test_features_and_predict_mode(method):
    model = MODELS.build(dict(copy.deepcopy(SMALL_LODISC), type=method))
    model.eval()
    x = _views(n=5)[0]
    with torch.no_grad():
        together = model.extract_test_feature(x)
        predicted = model(x, None, mode='predict')
        alone = torch.cat(
            [model.extract_test_feature(x[i:i + 1]) for i in range(5)])
        want = F.normalize(model.predictor((model.backbone(x)[-1], ))[0])
    assert torch.allclose(together, want, atol=1e-6)
    assert torch.allclose(together, alone, atol=1e-5)  # batch-independent
    assert torch.equal(torch.stack([s.feature for s in predicted]), together)
    model.test_feature = 'cls'
    with torch.no_grad():
        assert torch.equal(model.extract_test_feature(x), model.backbone(x)[0])
    with pytest.raises(ValueError, match='test_feature'):
        MODELS.build(dict(copy.deepcopy(SMALL_LODISC), test_feature='x'))
    with pytest.raises(ValueError, match="out_type='cls_token'"):
        MODELS.build(
            dict(
                copy.deepcopy(SMALL_LODISC),
                backbone=dict(TINY_VIT, out_type='featmap')))


def test_visual_maps_show_the_fused_attention_and_pivotal_patches():
    model = MODELS.build(copy.deepcopy(SMALL_LODISC)).eval()
    images = torch.randint(0, 100, (3, 3, 32, 32), dtype=torch.uint8)
    heat, kept = model.visual_maps(images)
    assert heat.kind == 'heat' and heat.values.shape == (3, 4, 4)
    assert kept.kind == 'image' and kept.values.dtype == torch.uint8
    untouched = (kept.values == images).all(1)  # (3, 32, 32)
    tiles = untouched.view(3, 4, 8, 4, 8).all(4).all(2)
    assert (tiles.flatten(1).sum(1) == 4).all()  # 4 of 16 patches kept
    top = heat.values.flatten(1).topk(4).indices.sort(1).values
    assert torch.equal(tiles.flatten(1).nonzero()[:, 1].view(3, 4), top)


# ------------------------------------------------------------ converter ----
def test_torchvision_vit_converter_gives_the_same_class_token(tmp_path):
    from torchvision.models import VisionTransformer as TorchvisionViT
    torch.manual_seed(0)
    theirs = TorchvisionViT(
        image_size=32,
        patch_size=8,
        num_layers=2,
        num_heads=4,
        hidden_dim=32,
        mlp_dim=64).eval()
    with torch.no_grad():
        theirs.class_token.normal_()
    state = theirs.state_dict()
    path = str(tmp_path / 'vit_torchvision.pth')
    torch.save(state, path)
    legacy = str(tmp_path / 'vit_legacy.pth')  # torchvision < 0.13 names
    torch.save(
        {
            k.replace('mlp.0.', 'mlp.linear_1.').replace(
                'mlp.3.', 'mlp.linear_2.'):
            v
            for k, v in state.items()
        }, legacy)
    theirs.heads = torch.nn.Identity()  # the class token after the norm
    x = torch.randn(3, 3, 32, 32)
    for checkpoint in (path, legacy):
        ours = load_converted(
            dict(
                TINY_VIT,
                arch=dict(
                    embed_dims=32,
                    num_layers=2,
                    num_heads=4,
                    feedforward_channels=64),
                norm_cfg=dict(type='LN', eps=1e-6)), checkpoint,
            'torchvision_vit')
        ours.eval()
        with torch.no_grad():
            assert (ours(x)[-1] - theirs(x)).abs().max() < 1e-5
    torch.save(dict(state, **{'encoder.extra.weight': torch.zeros(1)}), path)
    with pytest.raises(KeyError, match='encoder.extra.weight'):
        load_converted(TINY_VIT, path, 'torchvision_vit')


# ----------------------------------------------------------- end to end ----
def test_lodisc_synthetic_trains_tests_draws_and_probes(
        tiny_synthetic, tool, repo_root):
    config = f'{repo_root}/configs/lodisc_synthetic.py'
    work_dir = tiny_synthetic / 'work_dirs' / 'lodisc'
    out = assert_ok(
        tool([
            'train.py', config, '--work-dir',
            str(work_dir), '--cfg-options', *TINY, 'train_cfg.max_epochs=2',
            'train_cfg.val_interval=2'
        ],
             cwd=tiny_synthetic))
    assert re.search(r'loss_global: [\d.]+\s+loss_local: [\d.]+', out)
    assert 'retrieval/mAP' in out
    ckpt = str(work_dir / 'epoch_2.pth')
    out = evaluate(tool, tiny_synthetic, config, ckpt)
    assert re.search(r'\| knn/top1\s+\|\s+[\d.]+ \|', out)
    out = visualize(tool, tiny_synthetic, config, ckpt,
                    tiny_synthetic / 'lodisc.png', 2)
    assert ('columns: input, class-token attention (product of the '
            'layers), pivotal patches (top 30%), ground-truth parts') in out
    # the probe sees the class token of the frozen online encoder
    train_linear_probe(tool, tiny_synthetic, 'synthetic_vit', ckpt,
                       tiny_synthetic / 'work_dirs' / 'lodisc_linear',
                       ['backbone.layers.3.attn.qkv.weight'])


def test_lodisc_resume_after_kill_reaches_the_uninterrupted_weights(
        tiny_synthetic, tool, repo_root):
    common = [
        *TINY, 'train_cfg.max_epochs=3', 'train_cfg.val_interval=10',
        'default_hooks.checkpoint.interval=1'
    ]
    base = f'{repo_root}/configs/lodisc_synthetic.py'
    full, killed = (
        tiny_synthetic / 'work_dirs' / n
        for n in ('lodisc_full', 'lodisc_killed'))
    train(tool, tiny_synthetic, base, full, common)
    train_killed_after(tool, tiny_synthetic, base, killed, common, epoch=2)
    train_resumed(tool, tiny_synthetic, base, killed, common, epoch=2)
    a, _ = assert_same_weights(full / 'epoch_3.pth', killed / 'epoch_3.pth')
    assert any(k.startswith('momentum_encoder.') for k in a)


def test_lodisc_dist_train_two_processes_on_cpu(tiny_synthetic, tool,
                                                repo_root):
    """Two CPU processes: the keys of both processes are the negatives."""
    out = train_two_processes(
        tool, tiny_synthetic, f'{repo_root}/configs/lodisc_synthetic.py',
        tiny_synthetic / 'work_dirs' / 'dist_lodisc',
        ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1'])
    assert re.search(r'Epoch\(train\) \[1\]\[3/3\]', out)
    assert 'loss_local' in out and 'retrieval/mAP' in out
