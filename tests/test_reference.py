from radiomix.extraction.reference import ReferenceValue, significant_digits, within_tolerance


def test_significant_digits():
    assert significant_digits("0.0455") == 3
    assert significant_digits("-1000") == 1
    assert significant_digits("6.98E-05") == 3
    assert significant_digits("125256") == 6
    assert significant_digits("3.0") == 2


def test_zero_tolerance_values_are_compared_at_the_printed_digits():
    ref = ReferenceValue("x", 0.0455, 0.0, "0.0455")
    assert within_tolerance(0.04549, ref)
    assert not within_tolerance(0.0457, ref)
    ref = ReferenceValue("mean", -266.0, 0.0, "-266")
    assert within_tolerance(-266.47, ref)  # printed to 3 digits, compared at 3


def test_values_with_a_tolerance_are_compared_strictly():
    """|value - reference| <= tolerance on the value as computed, as MIRP's tests compare:
    0.962067 is not within 0.961 +- 0.001, although it rounds to 0.962."""
    ref = ReferenceValue("cm_inv_diff_norm_2D_avg", 0.961, 0.001, "0.961")
    assert within_tolerance(0.96199, ref)
    assert not within_tolerance(0.962067, ref)
    ref = ReferenceValue("y", 556.0, 4.0, "556")
    assert within_tolerance(559.9, ref)
    assert within_tolerance(560.0, ref)
    assert not within_tolerance(560.04, ref)
    assert not within_tolerance(float("nan"), ref)
