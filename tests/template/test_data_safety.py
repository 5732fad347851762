"""What a deployment keeps and who may get in: the table and the user pool survive
`sam delete` and mistakes; every user signs in with a one-time code as well, and a
plain password sign-in exists only where the local stack needs it."""

from translated_template import as_deployed


def test_the_leads_table_is_kept_and_protected(translated):
    table = translated["Resources"]["LeadsTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True


def test_the_user_pool_is_kept_and_protected(translated):
    pool = translated["Resources"]["LeadsUserPool"]
    assert pool["DeletionPolicy"] == pool["UpdateReplacePolicy"] == "Retain"
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


def test_a_deployed_pool_asks_everyone_for_a_one_time_code(translated):
    pool = as_deployed(translated["Resources"]["LeadsUserPool"]["Properties"])
    assert pool["MfaConfiguration"] == "ON" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_a_deployed_pool_has_no_password_sign_in(translated):
    assert translated["Parameters"]["LocalEmulation"]["Default"] == "false"
    for lid, resource in translated["Resources"].items():
        if resource["Type"] == "AWS::Cognito::UserPoolClient":
            flows = as_deployed(resource["Properties"]["ExplicitAuthFlows"])
            assert "ALLOW_USER_PASSWORD_AUTH" not in flows and "ALLOW_USER_SRP_AUTH" in flows, lid


def test_only_the_local_emulation_signs_in_with_a_password_and_no_code(translated):
    pool = as_deployed(translated["Resources"]["LeadsUserPool"]["Properties"], local_emulation=True)
    flows = as_deployed(translated["Resources"]["LeadsUserPoolClient"]["Properties"]["ExplicitAuthFlows"],
                        local_emulation=True)
    assert pool["MfaConfiguration"] == "OFF" and "EnabledMfas" not in pool
    assert "ALLOW_USER_PASSWORD_AUTH" in flows
