from setuptools import find_packages, setup


def read_requirements(path):
    with open(path) as f:
        return [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]


setup(
    name='mmfgssl',
    version='0.1.0',
    description=('Self-supervised fine-grained visual recognition for '
                 'OpenMMLab'),
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmfgssl', 'mmfgssl.*']),
    python_requires='>=3.9',
    # mmcv 2.1.0 has to be compiled from source against torch 2.14 (see
    # tools/setup_env.sh), so it is checked at import time, not installed here.
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache-2.0',
)
