"""Agreement figures against hand-computed examples."""
import numpy as np
import pytest

from labeling.agreement import category_counts, cohen_pairs, fleiss_kappa, krippendorff_alpha

NAN = np.nan


def two_coders() -> np.ndarray:
    # coder A: 0 0 1 1, coder B: 0 1 1 1 (one disagreement in four items)
    return np.array([[0, 0, 1, 1], [0, 1, 1, 1]], dtype=float)


def test_cohen_kappa_by_hand():
    # p_o = 3/4; p_e = 0.5*0.25 + 0.5*0.75 = 0.5; kappa = (0.75 - 0.5) / 0.5
    (pair,) = cohen_pairs(two_coders())
    assert pair.kappa.items == 4
    assert pair.kappa.value == pytest.approx(0.5)


def test_cohen_uses_only_items_both_labeled():
    m = np.array([[0, 0, 1, 1, 1], [0, 1, 1, 1, NAN]])
    (pair,) = cohen_pairs(m)
    assert pair.kappa.items == 4
    assert pair.kappa.value == pytest.approx(0.5)


def test_cohen_single_category_is_undefined_not_a_number():
    (pair,) = cohen_pairs(np.zeros((2, 5)))
    assert pair.kappa.value is None and pair.kappa.items == 5


def test_fleiss_two_raters_by_hand():
    # P_i = 1, 0, 1, 1 -> 0.75; p = (3/8, 5/8) -> P_e = 34/64; kappa = 0.21875 / 0.46875
    counts = category_counts(two_coders(), 2)
    assert counts.tolist() == [[2, 0], [1, 1], [0, 2], [0, 2]]
    fig = fleiss_kappa(counts)
    assert fig.items == 4
    assert fig.value == pytest.approx(0.21875 / 0.46875)


def test_fleiss_textbook_table():
    # Fleiss' classic worked example: 10 subjects, 14 raters, 5 categories -> 0.210
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
    fig = fleiss_kappa(np.array(table))
    assert fig.items == 10
    assert fig.value == pytest.approx(0.20993, abs=1e-4)


def test_fleiss_ignores_items_with_one_rating():
    m = np.array([[0, 0, 1, 1, 1], [0, 1, 1, 1, NAN]])
    assert fleiss_kappa(category_counts(m, 2)).items == 4


def test_krippendorff_nominal_by_hand():
    # coincidences o00=2, o01=o10=1, o11=4; n0=3, n1=5, n=8
    # alpha = 1 - (2/8) / (2*3*5 / (8*7)) = 1 - 112/240
    fig = krippendorff_alpha(two_coders(), level="nominal")
    assert fig.items == 4
    assert fig.value == pytest.approx(1 - 112 / 240)


def test_krippendorff_ordinal_equals_nominal_for_two_categories():
    nominal = krippendorff_alpha(two_coders(), level="nominal").value
    assert krippendorff_alpha(two_coders(), level="ordinal").value == pytest.approx(nominal)


def test_krippendorff_ordinal_penalises_distant_disagreement_more():
    base = [0, 1, 2, 3, 0, 1, 2, 3]
    near = np.array([base, [0, 1, 2, 3, 1, 1, 2, 2]], dtype=float)  # off by one level
    far = np.array([base, [0, 1, 2, 3, 3, 1, 2, 0]], dtype=float)  # off by three levels
    n_near = krippendorff_alpha(near, level="nominal").value
    n_far = krippendorff_alpha(far, level="nominal").value
    assert n_near == pytest.approx(n_far, abs=0.1)
    assert krippendorff_alpha(near, level="ordinal").value > krippendorff_alpha(
        far, level="ordinal"
    ).value + 0.3


def test_krippendorff_needs_two_values():
    fig = krippendorff_alpha(np.array([[0, NAN], [NAN, 1]]), level="nominal")
    assert fig.value is None and fig.items == 0
