"""credentials.yml as Rasa reads it: the stack starts whether WhatsApp is set up or not.

Reads the file the way `rasa run` does (rasa.core.run.create_http_input_channels: read
with ${VAR} substitution, channel class from its module path) without importing
rasa.core.run, which pulls in TensorFlow.
"""

from __future__ import annotations

import pytest
from rasa.shared.utils.common import class_from_module_path
from rasa.shared.utils.io import read_config_file

from bot.channels.whatsapp import WhatsAppInput
from bot.launcher import CREDENTIALS_FILE, child_environment, credential_variables
from bot.settings import settings

WHATSAPP_VARIABLES = {
    "WHATSAPP_API_BASE_URL",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_SENDER_ID_KEY",
    "WHATSAPP_STORE_URL",
}


@pytest.fixture
def no_channel_settings(clean_settings, tmp_path):
    clean_settings.setenv("VAR_DIR", str(tmp_path / "var"))
    for name in credential_variables():
        clean_settings.delenv(name, raising=False)
    return clean_settings


def whatsapp_channel() -> WhatsAppInput:
    credentials = read_config_file(str(CREDENTIALS_FILE))
    assert {"bot.channels.rest.GuardedRestInput", "bot.channels.socketio.SocketIOInput"} <= set(
        credentials
    )
    name = "bot.channels.whatsapp.WhatsAppInput"
    return class_from_module_path(name).from_credentials(credentials[name])


def test_credentials_name_the_whatsapp_settings():
    assert set(credential_variables()) == WHATSAPP_VARIABLES  # comments are not read


def test_rasa_refuses_undefined_variables_so_the_launcher_defines_them(no_channel_settings):
    with pytest.raises(Exception, match="WHATSAPP_"):
        read_config_file(str(CREDENTIALS_FILE))
    env = child_environment(settings())
    assert {name: env[name] for name in WHATSAPP_VARIABLES} == dict.fromkeys(WHATSAPP_VARIABLES, "")


def test_without_whatsapp_settings_the_channel_loads_switched_off(no_channel_settings, tmp_path):
    for name, value in child_environment(settings()).items():
        if name in WHATSAPP_VARIABLES:
            no_channel_settings.setenv(name, value)
    channel = whatsapp_channel()
    assert not channel.configured and channel.store is None
    assert not (tmp_path / "var" / "whatsapp.db").exists()


def test_settings_from_the_environment_reach_the_channel(no_channel_settings, tmp_path):
    no_channel_settings.setenv("WHATSAPP_PHONE_NUMBER_ID", "106540352242922")
    no_channel_settings.setenv("WHATSAPP_ACCESS_TOKEN", "token")
    no_channel_settings.setenv("WHATSAPP_APP_SECRET", "secret")
    no_channel_settings.setenv("WHATSAPP_VERIFY_TOKEN", "verify")
    env = child_environment(settings())
    assert env["WHATSAPP_APP_SECRET"] == "secret"  # a set value is kept, not emptied
    for name in WHATSAPP_VARIABLES:
        no_channel_settings.setenv(name, env[name])
    channel = whatsapp_channel()
    assert channel.configured
    assert channel.graph.url == "https://graph.facebook.com/v21.0/106540352242922/messages"
    assert (tmp_path / "var" / "whatsapp.db").exists()
