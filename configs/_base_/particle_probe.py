# The PARTICLE paper's linear probe (evaluation/test_linear.py), run by
# tools/logistic_probe.py: the frozen test-time representation, not
# normalised, extracted once per image; sklearn LogisticRegression with the
# code's arguments (L2, C=1, lbfgs, no standardisation).
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmfgssl'], allow_failed_imports=False)
model = dict(
    type='ImageClassifier',
    backbone=dict(type='SelfSupFeature', checkpoint='', normalize=False))
data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
probe = dict(max_iter=10000, C=1.0)
loader = dict(
    batch_size=64,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
