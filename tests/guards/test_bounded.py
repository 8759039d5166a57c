"""The bounded runner: a child that overruns memory, CPU or wall time fails alone."""

from evidence.services import thumbnail_limits
from guards import bounded
from guards.bounded import MB, Limits
from tests.guards import workloads


def test_result_comes_back_with_the_peak_memory():
    outcome = bounded.run(workloads.allocate, 20 * MB)

    assert outcome.ok
    assert outcome.value == 20 * MB
    assert 20 * MB < outcome.peak_rss < 200 * MB


def test_memory_over_the_budget_fails_in_the_child():
    outcome = bounded.run(workloads.allocate, 2048 * MB, limits=Limits(memory=256 * MB))

    assert outcome.status == "memory"
    assert outcome.peak_rss < 256 * MB + 100 * MB


def test_cpu_and_wall_time_are_bounded():
    by_cpu = bounded.run(workloads.spin, limits=Limits(cpu_seconds=1, wall_seconds=10))
    by_wall = bounded.run(workloads.spin, limits=Limits(cpu_seconds=30, wall_seconds=0.5))

    assert by_cpu.status == "timeout"
    assert by_wall.status == "timeout"


def test_work_nobody_waits_for_runs_nicer_than_the_server():
    plain = bounded.run(workloads.niceness)
    nicer = bounded.run(workloads.niceness, limits=Limits(nice=10))

    assert plain.ok and nicer.ok
    assert nicer.value == min(plain.value + 10, 19)


def test_thumbnails_are_drawn_nicer_than_the_server(settings):
    settings.THUMBNAIL_NICE = 7

    assert thumbnail_limits().nice == 7


def test_an_exception_is_reported_not_raised():
    outcome = bounded.run(workloads.fail)

    assert outcome.status == "error"
    assert "hỏng" in outcome.error


def test_a_child_that_dies_in_c_code_still_reports_its_peak_memory():
    outcome = bounded.run(workloads.allocate_then_abort, 100 * MB)

    assert outcome.status == "crash"
    assert 100 * MB < outcome.peak_rss < 300 * MB
