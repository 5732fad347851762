"""Models build their validators on first use (leadflow._deferred_models)."""

import subprocess
import sys
from pathlib import Path

from pydantic._internal import _config

LAYER = Path(__file__).resolve().parents[2] / "layers" / "leadflow"


def test_the_default_is_in_force():
    import leadflow  # noqa: F401 - sets it

    assert _config.config_defaults["defer_build"] is True


def test_a_model_is_built_by_its_first_use_and_validates_as_before():
    # A fresh interpreter: nothing has used the model yet.
    code = (
        "from leadflow.shared.models import ContactCard\n"
        "assert not ContactCard.__pydantic_complete__\n"
        "card = ContactCard.model_validate({'name': 'Jane', 'email': 'jane@example.com'})\n"
        "assert ContactCard.__pydantic_complete__ and card.name == 'Jane'\n"
        "import pydantic\n"
        "try:\n"
        "    ContactCard.model_validate({'name': 1.5j})\n"
        "except pydantic.ValidationError:\n"
        "    print('refused')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(LAYER)}, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"
