"""The bench's canned AWS answers every case's path: a handler changed to call AWS
differently (notify's claim reads the submission back from its UpdateItem) must not leave
`make bench` failing where the suite is green."""

from bench import handler_time
from bench.measure import offline_aws_env


def test_every_handler_time_case_runs_its_path_on_the_canned_answers(monkeypatch):
    for name, value in offline_aws_env().items():
        monkeypatch.setenv(name, value)
    figure = handler_time.run(iterations=2, warmup=1)

    assert set(figure["cases"]) == {case.label for case in handler_time.CASES}
    notify = figure["cases"]["notify"]["stubbed_calls_per_request"]
    assert notify["dynamodb.UpdateItem"] == 1 and notify["sesv2.SendEmail"] == 1
