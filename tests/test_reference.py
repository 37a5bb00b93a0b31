from radiomix.extraction.reference import ReferenceValue, significant_digits, within_tolerance


def test_significant_digits():
    assert significant_digits("0.0455") == 3
    assert significant_digits("-1000") == 1
    assert significant_digits("6.98E-05") == 3
    assert significant_digits("125256") == 6
    assert significant_digits("3.0") == 2


def test_within_tolerance_rounds_to_reference_digits():
    ref = ReferenceValue("x", 0.0455, 0.0, "0.0455")
    assert within_tolerance(0.04549, ref)
    assert not within_tolerance(0.0457, ref)
    ref = ReferenceValue("y", 556.0, 4.0, "556")
    assert within_tolerance(559.9, ref)
    assert not within_tolerance(560.6, ref)
    assert not within_tolerance(float("nan"), ref)
