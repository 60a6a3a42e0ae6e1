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
from conftest import REPO, TINY_RESNET

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
