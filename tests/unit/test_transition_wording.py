"""The 409 a manager reads when a change is refused says it in words (issue 17)."""

from leadflow.lifecycle.transitions import TransitionNotAllowed
from leadflow.shared.models import LeadStatus as S


def test_a_closed_lead_says_it_cannot_change_any_more():
    assert str(TransitionNotAllowed("l1", S.CONVERTED, S.CONTACTED)) == \
        "This lead is converted; it cannot change any more."


def test_a_refused_step_names_where_the_lead_can_go():
    message = str(TransitionNotAllowed("l1", S.QUALIFIED, S.CONTACTED))
    assert message.startswith("This lead is qualified; it cannot be marked contacted. It can be marked ")
    assert message.endswith(" or rejected.") and "l1" not in message


def test_the_same_status_again_says_so():
    assert str(TransitionNotAllowed("l1", S.CONTACTED, S.CONTACTED)) == "This lead is contacted already."
