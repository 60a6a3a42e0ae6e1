"""The shared test-time representation, MoCo v2 and the frozen-feature
backbone used by linear probes."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import save_checkpoint
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmfgssl  # noqa: F401
from conftest import REPO, TINY_RESNET, generic_backbone_config

SMALL_MOCO = dict(
    type='MoCoV2',
    queue_len=32,
    feat_dim=16,
    momentum=0.001,
    backbone=TINY_RESNET,
    neck=dict(
        type='MoCoV2Neck',
        in_channels=64,
        hid_channels=32,
        out_channels=16,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2),
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True))


def _batch(n=4, views=2, size=48):
    g = torch.Generator().manual_seed(0)
    return dict(
        inputs=[
            torch.randint(
                0, 256, (n, 3, size, size), generator=g, dtype=torch.uint8)
            for _ in range(views)
        ],
        data_samples=[DataSample().set_gt_label(i % 2) for i in range(n)])


def test_mocov2_trains_and_predicts_the_pooled_backbone_feature():
    model = MODELS.build(copy.deepcopy(SMALL_MOCO))
    data = model.data_preprocessor(_batch(), True)
    losses = model(**data, mode='loss')
    assert losses['loss'].item() > 0
    assert int(model.queue_ptr) == 4
    losses['loss'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0

    model.eval()
    images = data['inputs'][0]
    samples = model(images, [DataSample() for _ in range(4)], mode='predict')
    expected = model.backbone(images)[-1].mean(dim=(2, 3))
    assert expected.shape == (4, 64)
    for sample, want in zip(samples, expected):
        assert torch.allclose(sample.feature, want, atol=1e-6)


def test_supervised_baseline_trains_with_labels_on_the_pooled_feature():
    """Cross-entropy (label smoothing 0.1) of a linear classifier on the
    first view's pooled backbone feature, which is also what it is tested
    on; a few SGD steps fit the labels of a batch."""
    model = MODELS.build(
        dict(
            type='SupervisedBaseline',
            backbone=TINY_RESNET,
            num_classes=3,
            feature_dim=64,
            data_preprocessor=SMALL_MOCO['data_preprocessor']))
    batch = _batch(n=6)
    for i, sample in enumerate(batch['data_samples']):
        sample.set_gt_label(i % 3)
    data = model.data_preprocessor(batch, True)
    labels = torch.tensor([i % 3 for i in range(6)])
    images = data['inputs'][0]
    loss = model(**data, mode='loss')['loss']
    logits = model.classifier(model.backbone(images)[-1].mean(dim=(2, 3)))
    assert torch.allclose(loss,
                          F.cross_entropy(logits, labels, label_smoothing=0.1))

    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(10):
        optimizer.zero_grad()
        model(**data, mode='loss')['loss'].backward()
        optimizer.step()
    with torch.no_grad():
        logits = model.classifier(model.extract_test_feature(images))
    assert torch.equal(logits.argmax(1), labels)

    model.eval()
    samples = model(images, [DataSample() for _ in range(6)], mode='predict')
    want = model.backbone(images)[-1].mean(dim=(2, 3))
    for sample, feature in zip(samples, want):
        assert torch.allclose(sample.feature, feature, atol=1e-6)


def _save_ssl_checkpoint(model, path, cfg_model):
    """What FGRunner writes: the weights and the model config as data."""
    meta = dict(model_config=cfg_model)
    save_checkpoint(dict(state_dict=model.state_dict(), meta=meta), path)


@pytest.mark.parametrize('config,feature_dim', [
    ('configs/baselines/supervised_synthetic.py', 256),
    ('configs/baselines/supervised_vit_synthetic.py', 128),
])
def test_supervised_configs_classify_the_test_feature_of_their_backbone(
        config, feature_dim):
    """Each supervised bound trains one flipped view (no crops) and
    classifies the feature it is tested on: the ResNet's pooled map, the
    ViT's class token (as the ViT methods' baselines are evaluated)."""
    cfg = Config.fromfile(osp.join(REPO, config))
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert [t['type'] for t in pipeline] == [
        'LoadImageFromFile', 'RandomFlip', 'PackInputs'
    ]
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    images = torch.randn(2, 3, 96, 96)
    feature = model.extract_test_feature(images)
    assert feature.shape == (2, feature_dim)
    out = model.backbone(images)[-1]
    want = out.mean(dim=(2, 3)) if out.dim() == 4 else out
    assert torch.equal(feature, want)
    assert model.classifier.in_features == feature_dim


def test_selfsup_feature_is_the_frozen_test_representation(tmp_path):
    model = MODELS.build(copy.deepcopy(SMALL_MOCO)).eval()
    path = str(tmp_path / 'ssl.pth')
    _save_ssl_checkpoint(model, path, SMALL_MOCO)

    backbone = MODELS.build(dict(type='SelfSupFeature', checkpoint=path))
    backbone.train()  # must stay frozen: BN in eval, no gradients
    assert not backbone.algorithm.training
    assert not any(p.requires_grad for p in backbone.parameters())
    x = torch.randn(3, 3, 48, 48)
    got = backbone(x)[0]
    want = F.normalize(model.extract_test_feature(x), dim=1)
    assert torch.allclose(got, want, atol=1e-6)
    raw = MODELS.build(
        dict(type='SelfSupFeature', checkpoint=path, normalize=False))(x)[0]
    assert torch.allclose(raw, model.extract_test_feature(x), atol=1e-6)


def test_selfsup_feature_refuses_mismatched_checkpoints(tmp_path):
    model = MODELS.build(copy.deepcopy(SMALL_MOCO))
    wider = copy.deepcopy(SMALL_MOCO)
    wider['neck']['hid_channels'] = 64
    path = str(tmp_path / 'ssl.pth')
    _save_ssl_checkpoint(model, path, SMALL_MOCO)
    with pytest.raises(RuntimeError):  # size mismatch of the neck
        MODELS.build(
            dict(type='SelfSupFeature', checkpoint=path, algorithm=wider))
    state = {
        k: v
        for k, v in model.state_dict().items()
        if not k.startswith('backbone.layer4')
    }
    save_checkpoint(dict(state_dict=state), str(tmp_path / 'partial.pth'))
    with pytest.raises(RuntimeError, match='missing keys 30'):
        MODELS.build(
            dict(
                type='SelfSupFeature',
                checkpoint=str(tmp_path / 'partial.pth'),
                algorithm=SMALL_MOCO))
    with pytest.raises(ValueError, match='checkpoint is empty'):
        MODELS.build(dict(type='SelfSupFeature', checkpoint=''))
    with pytest.raises(ValueError, match='meta.model_config'):
        MODELS.build(
            dict(
                type='SelfSupFeature',
                checkpoint=str(tmp_path / 'partial.pth')))


def test_feature_distillation_loss_is_the_mean_cosine_distance():
    from mmfgssl.models.classifiers import feature_distillation_loss
    student = torch.randn(3, 5, 8, requires_grad=True)
    teacher = (torch.randn(3, 5, 8) + 4).relu().requires_grad_()
    standardised = torch.stack([(teacher[..., c] - teacher[..., c].mean()) /
                                teacher[..., c].std() for c in range(8)], -1)
    dots = (student * standardised).sum(-1)
    norms = student.norm(dim=-1) * standardised.norm(dim=-1)
    expected = (1 - dots / norms).mean()
    loss = feature_distillation_loss(student, teacher)
    assert torch.allclose(loss, expected, atol=1e-5)
    loss.backward()
    assert student.grad.abs().sum() > 0 and teacher.grad is None
    # only the direction of the standardised features counts
    assert feature_distillation_loss(3 * standardised, teacher) < 1e-5
    # the teacher's shared mean direction alone is not a solution
    mean = teacher.detach().reshape(-1, 8).mean(0).expand(3, 5, 8)
    assert feature_distillation_loss(mean, teacher) > 0.5


def test_distilled_vit_learns_the_generic_resnet_features_and_keeps_it_frozen(
):
    """configs/generic_init/vit_cpu.py: the teacher is the cached generic
    ResNet (strictly loaded), stays in eval mode under ``train()`` and gets
    no gradient; the ViT's class token and its patch tokens, pooled 2x2 to
    the ResNet's 6x6 map, are pulled towards the teacher's features."""
    from mmfgssl import generic_init
    from mmfgssl.compat import safe_torch_load
    cfg = Config.fromfile(osp.join(REPO, 'configs/generic_init/vit_cpu.py'))
    model = MODELS.build(cfg.model)
    assert not model.teacher.training  # from construction, not only train()
    model.init_weights()
    model.train()
    cached = safe_torch_load(
        generic_init.checkpoint_path('resnet18_cpu'))['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, cached[f'backbone.{key}']), key
    assert not model.teacher.training and model.backbone.training
    statistics = copy.deepcopy(model.teacher.bn1.running_mean)
    images = torch.randn(4, 3, 96, 96)
    samples = [DataSample().set_gt_label(label) for label in (0, 1, 5, 171)]
    losses = model.loss(images, samples)
    assert torch.equal(model.teacher.bn1.running_mean, statistics)

    tokens = model.backbone(images)[-1]
    target = model.teacher(images)[-1]
    assert target.shape[-2:] == (6, 6)
    patches = tokens[:, 1:].reshape(4, 6, 2, 6, 2, 128).mean((2, 4))
    dense = model.dense_projection(patches.reshape(4, 36, 128))

    def standardised(features):  # per channel, over the batch's vectors
        return (features - features.mean(
            (0, 1))) / (features.std((0, 1)) + 1e-6)

    expected_dense = 1 - F.cosine_similarity(
        dense, standardised(target.flatten(2).transpose(1, 2)),
        dim=-1).mean()
    expected_global = 1 - F.cosine_similarity(
        model.global_projection(tokens[:, 0]),
        standardised(target.mean((2, 3))[None])[0]).mean()
    weight = cfg.model.get('distill_weight', 1.0)
    assert torch.allclose(
        losses['loss_distill_dense'], weight * expected_dense, atol=1e-5)
    assert torch.allclose(
        losses['loss_distill_global'], weight * expected_global, atol=1e-5)

    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    for module in (model.backbone, model.dense_projection,
                   model.global_projection, model.head):
        assert all(p.grad is not None for p in module.parameters()
                   if p.requires_grad), type(module).__name__
    model.eval()
    (prediction, *_) = model.predict(images[:1])
    assert prediction.pred_score.shape == (172, )


def test_conv_stem_embeds_patches_on_the_plain_embedding_grid():
    """The CPU ViT's convolutional stem gives the token grid of the 8x8
    patch convolution it replaces (what attention maps, kept patches and
    part maps are drawn on) and each token sees its own patch."""
    from mmfgssl.models.utils.vit import patch_grid
    vit = MODELS.build(generic_backbone_config('vit_cpu'))
    plain = MODELS.build(
        dict(generic_backbone_config('vit_cpu'), patch_cfg=dict()))
    assert type(vit.patch_embed.projection).__name__ == 'ConvStem'
    assert type(plain.patch_embed.projection).__name__ == 'Conv2d'
    for size in (96, 48, 40):
        images = torch.randn(2, 3, size, size)
        tokens, grid = vit.patch_embed(images)
        assert grid == plain.patch_embed(images)[1]
        assert grid == patch_grid(vit, images) == (size // 8, size // 8)
        assert tokens.shape == (2, grid[0] * grid[1], 128)
    # a change inside patch (0, 0) moves token (0, 0) and its neighbours'
    # (3x3 convolutions overlap by one pixel), not tokens two patches away
    stem = vit.patch_embed.eval()
    images = torch.randn(1, 3, 96, 96)
    changed = images.clone()
    changed[..., 2:6, 2:6] += 1
    moved = (stem(changed)[0] - stem(images)[0]).abs().sum(-1).view(12, 12)
    assert moved[0, 0] > 0 and moved[2:, :].sum() == moved[:, 2:].sum() == 0
    with pytest.raises(ValueError, match='power-of-two'):
        MODELS.build(
            dict(generic_backbone_config('vit_cpu'), patch_size=6))


def test_frozen_stages_vit_keeps_the_checkpoint_statistics_in_training():
    """A frozen probe must read the checkpoint's features: in training mode
    the frozen ConvStem's batch norms keep normalising by their running
    statistics and leave them unchanged. mmpretrain's VisionTransformer
    (frozen once, at construction) updates them: the reason for the class."""
    config = dict(
        generic_backbone_config('vit_cpu'),
        frozen_stages=4,
        out_type='featmap')
    images = torch.randn(4, 3, 96, 96) * 3 + 1
    for vit_type, stays_frozen in (('FrozenStagesViT', True),
                                   ('VisionTransformer', False)):
        torch.manual_seed(0)
        vit = MODELS.build(dict(config, type=vit_type))
        stem_norms = [
            m for m in vit.patch_embed.modules()
            if isinstance(m, torch.nn.BatchNorm2d)
        ]
        before = [m.running_mean.clone() for m in stem_norms]
        vit.eval()
        expected = vit(images)[0]
        vit.train()
        with torch.no_grad():
            trained = vit(images)[0]
        unchanged = all(
            torch.equal(m.running_mean, b) for m, b in zip(stem_norms, before))
        assert unchanged == stays_frozen, vit_type
        assert torch.allclose(trained, expected) == stays_frozen, vit_type
    # nothing frozen: an ordinary ViT in training mode (fine-tuning)
    vit = MODELS.build(dict(config, type='FrozenStagesViT', frozen_stages=0))
    vit.train()
    assert vit.patch_embed.training
