"""The names the `leadflow` command finds a deployed stack by (leadflow_cli.target) are
the template's: each output it reads is one of its Outputs, each resource it looks up by
logical id is there with the kind whose physical id it expects."""

from leadflow_cli.target import OUTPUTS, REQUIRED_OUTPUTS, RESOURCES


def test_every_output_the_command_reads_is_an_output_of_the_template(translated):
    assert set(OUTPUTS) <= set(translated["Outputs"])


def test_the_outputs_it_requires_exist_in_every_stack(translated):
    for name in REQUIRED_OUTPUTS:
        assert "Condition" not in translated["Outputs"][name]


def test_the_resources_it_finds_by_logical_id_are_the_template_s(translated):
    # A secret's physical id is its ARN, a schedule group's its name: what the command needs.
    kinds = {lid: translated["Resources"][lid]["Type"] for lid in RESOURCES if lid in translated["Resources"]}

    assert kinds == {"HashKeySecret": "AWS::SecretsManager::Secret",
                     "ReminderScheduleGroup": "AWS::Scheduler::ScheduleGroup"}
