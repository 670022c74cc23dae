import pytest
import torch

from ml.synthetic import synthetic_emotion_dataset, synthetic_stress_dataset
from ml.train_emotion import EmotionTrainConfig
from ml.train_emotion import train as train_emotion
from ml.train_stress import StressTrainConfig
from ml.train_stress import train as train_stress

# Small models on a shared 2-core machine run faster single-threaded than oversubscribed.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def synthetic_emotion():
    return synthetic_emotion_dataset(n_subjects=20, per_subject=35, seed=0)


@pytest.fixture(scope="session")
def synthetic_stress():
    return synthetic_stress_dataset(n_subjects=8, frames_per_segment=45, seed=0)


@pytest.fixture(scope="session")
def emotion_run(synthetic_emotion, tmp_path_factory):
    history = []
    result = train_emotion(
        synthetic_emotion,
        EmotionTrainConfig(epochs=20, seed=0),
        tmp_path_factory.mktemp("emotion"),
        on_epoch=history.append,
    )
    return result, history


@pytest.fixture(scope="session", params=["lstm", "tcn"])
def stress_run(request, synthetic_stress, tmp_path_factory):
    config = StressTrainConfig(arch=request.param, window=15, stride=8, epochs=6, seed=0)
    return train_stress(
        synthetic_stress, config, tmp_path_factory.mktemp(f"stress_{request.param}")
    )
