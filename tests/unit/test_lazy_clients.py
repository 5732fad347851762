"""A function's boto3 clients: made on first use, one per service and use, shared."""

from unittest import mock

from leadflow.shared import aws
from leadflow.storage.table import Table


def test_a_lazy_client_is_made_on_first_use_and_then_shared(monkeypatch):
    monkeypatch.setattr(aws, "_clients", {})
    made = []
    real = aws.boto3.client

    def counting(service, **kwargs):
        made.append(service)
        return real(service, **kwargs)

    with mock.patch.object(aws.boto3, "client", counting):
        first, second = Table("t"), Table("u")
        assert made == []  # init creates nothing
        assert first.client.meta.service_model.service_name == "dynamodb"
        assert second.client.meta.region_name == first.client.meta.region_name
        assert made == ["dynamodb"]  # one client for both tables
        assert first.client.exceptions.ConditionalCheckFailedException is not None
        assert made == ["dynamodb"]


def test_a_client_given_is_used_as_it_is():
    given = object()
    assert Table("t", given).client is given


def test_the_proxy_says_what_it_stands_for(monkeypatch):
    monkeypatch.setattr(aws, "_clients", {})
    lazy = aws.lazy_client("sqs", "person_waiting")
    assert repr(lazy) == "<LazyClient sqs (person_waiting), not created yet>"
    assert lazy.meta.config.read_timeout == 3  # the use's configuration
    assert repr(lazy) == "<LazyClient sqs (person_waiting), created>"


def test_replacing_an_operation_replaces_it_on_the_client(monkeypatch):
    monkeypatch.setattr(aws, "_clients", {})
    lazy = aws.lazy_client("secretsmanager")
    monkeypatch.setattr(lazy, "get_secret_value", lambda **kwargs: {"SecretString": "x"})
    assert lazy.get_secret_value(SecretId="s") == {"SecretString": "x"}
    assert aws.client("secretsmanager").get_secret_value(SecretId="s") == {"SecretString": "x"}
