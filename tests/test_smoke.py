def test_demo_loads(demo):
    assert demo.assessment.assignments.count() > 40
