import numpy as np

from ml.split import grouped_split


def test_no_group_lands_in_two_splits_and_all_rows_are_used():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 30, 1000).astype(str)
    y = rng.integers(0, 7, 1000)
    parts = grouped_split(groups, y, seed=3)
    sets = [set(groups[p]) for p in parts]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    assert sorted(np.concatenate(parts).tolist()) == list(range(1000))


def test_split_is_deterministic_and_close_to_70_15_15():
    groups = np.repeat(np.arange(40), 25).astype(str)
    y = np.tile(np.arange(5), 200)
    a, b = grouped_split(groups, y, seed=1), grouped_split(groups, y, seed=1)
    assert all(np.array_equal(x, z) for x, z in zip(a, b, strict=True))
    fractions = [len(p) / 1000 for p in a]
    assert (
        abs(fractions[0] - 0.7) < 0.06
        and abs(fractions[1] - 0.15) < 0.06
        and abs(fractions[2] - 0.15) < 0.06
    )


def test_each_split_gets_every_class_when_groups_are_single_class():
    groups = np.arange(70).astype(str)
    y = np.arange(70) % 7
    for part in grouped_split(groups, y, seed=0):
        assert set(y[part]) == set(range(7))
