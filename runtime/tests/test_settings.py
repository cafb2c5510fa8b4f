"""Settings as pure logic: secrets from `*_FILE`, and text scrubbed of them."""

import pytest

from parley_runtime.settings import ServiceSettings, without_credentials


class ProbeSettings(ServiceSettings):
    model_config = {**ServiceSettings.model_config, "env_prefix": "PARLEY_PROBE_"}


def test_a_secret_comes_from_the_file_its_FILE_variable_names(tmp_path, monkeypatch):
    secret = tmp_path / "pw"
    secret.write_text("a/b#c?d true\n")
    monkeypatch.setenv("PARLEY_PROBE_NATS_PASSWORD_FILE", str(secret))
    assert ProbeSettings().nats_password == "a/b#c?d true"
    monkeypatch.setenv("PARLEY_PROBE_NATS_PASSWORD", "from-the-variable")
    assert ProbeSettings().nats_password == "from-the-variable"


def test_only_secrets_are_read_from_files(tmp_path, monkeypatch):
    (tmp_path / "url").write_text("nats://elsewhere:4222")
    monkeypatch.setenv("PARLEY_PROBE_NATS_URL_FILE", str(tmp_path / "url"))
    assert ProbeSettings().nats_url == "nats://127.0.0.1:4222"


def test_a_missing_secret_file_is_a_clear_exit(tmp_path, monkeypatch):
    monkeypatch.setenv("PARLEY_PROBE_NATS_PASSWORD_FILE", str(tmp_path / "absent"))
    with pytest.raises(SystemExit, match="PARLEY_PROBE_NATS_PASSWORD_FILE: cannot read"):
        ProbeSettings()


def test_scrub_takes_out_passwords_and_url_credentials():
    settings = ProbeSettings(nats_url="nats://auth:in-url@nats:4222", nats_password="s3cr3t/#?")
    text = settings.scrub("cannot reach nats://auth:in-url@nats:4222 with s3cr3t/#?")
    assert "in-url" not in text and "s3cr3t" not in text
    assert "nats://***@nats:4222" in text
    assert without_credentials("nats://nats:4222") == "nats://nats:4222"
